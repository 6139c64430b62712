#include "percept/track/assignment.hpp"

#include <limits>

namespace percept {

namespace {

int find(std::vector<int>& parent, int a) {
  while (parent[a] != a) a = parent[a] = parent[parent[a]];
  return a;
}

// Hungarian algorithm (potentials, O(n^2 m)) on an n x m matrix with n <= m, 1-based as in the
// classic formulation; writes the column of each row into `row_col` (0-based).
void hungarian(const std::vector<double>& a, int n, int m, AssignmentScratch& s,
               std::vector<int>& row_col) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  s.u.assign(n + 1, 0);
  s.v.assign(m + 1, 0);
  s.p.assign(m + 1, 0);
  s.way.assign(m + 1, 0);
  for (int i = 1; i <= n; ++i) {
    s.p[0] = i;
    int j0 = 0;
    s.minv.assign(m + 1, inf);
    s.used.assign(m + 1, 0);
    do {
      s.used[j0] = 1;
      const int i0 = s.p[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (s.used[j]) continue;
        const double cur = a[(i0 - 1) * m + (j - 1)] - s.u[i0] - s.v[j];
        if (cur < s.minv[j]) s.minv[j] = cur, s.way[j] = j0;
        if (s.minv[j] < delta) delta = s.minv[j], j1 = j;
      }
      for (int j = 0; j <= m; ++j) {
        if (s.used[j])
          s.u[s.p[j]] += delta, s.v[j] -= delta;
        else
          s.minv[j] -= delta;
      }
      j0 = j1;
    } while (s.p[j0] != 0);
    do {
      const int j1 = s.way[j0];
      s.p[j0] = s.p[j1];
      j0 = j1;
    } while (j0);
  }
  row_col.assign(n, -1);
  for (int j = 1; j <= m; ++j)
    if (s.p[j]) row_col[s.p[j] - 1] = j - 1;
}

}  // namespace

void assign_with_limit(const std::vector<float>& cost, size_t rows, size_t cols, float limit,
                       std::vector<int>& row_match, AssignmentScratch& s) {
  row_match.assign(rows, -1);
  if (rows == 0 || cols == 0) return;
  // Union-find over rows [0, rows) and columns [rows, rows + cols), joined by feasible pairs.
  const int n = static_cast<int>(rows + cols);
  s.parent.resize(n);
  for (int i = 0; i < n; ++i) s.parent[i] = i;
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c)
      if (cost[r * cols + c] < limit) {
        const int a = find(s.parent, static_cast<int>(r));
        const int b = find(s.parent, static_cast<int>(rows + c));
        if (a != b) s.parent[a] = b;
      }
  for (size_t r0 = 0; r0 < rows; ++r0) {
    const int root = find(s.parent, static_cast<int>(r0));
    if (row_match[r0] != -1) continue;
    // Gather the component of row r0 (rows and columns with the same root) once: its rows are
    // marked -2 (solved) until their real match is known.
    s.comp_rows.clear();
    s.comp_cols.clear();
    for (size_t r = r0; r < rows; ++r)
      if (row_match[r] == -1 && find(s.parent, static_cast<int>(r)) == root)
        s.comp_rows.push_back(static_cast<int>(r));
    for (size_t c = 0; c < cols; ++c)
      if (find(s.parent, static_cast<int>(rows + c)) == root)
        s.comp_cols.push_back(static_cast<int>(c));
    for (int r : s.comp_rows) row_match[static_cast<size_t>(r)] = -2;
    if (s.comp_cols.empty()) continue;
    // Square it up: nr rows against nc real columns plus nr "unmatched" columns at `limit`.
    const int nr = static_cast<int>(s.comp_rows.size()), nc = static_cast<int>(s.comp_cols.size());
    const int m = nc + nr;
    s.sub.assign(static_cast<size_t>(nr) * m, limit);
    for (int i = 0; i < nr; ++i)
      for (int j = 0; j < nc; ++j) {
        const float c = cost[static_cast<size_t>(s.comp_rows[i]) * cols + s.comp_cols[j]];
        // An infeasible pair costs more than leaving both unmatched, so it is never chosen.
        s.sub[static_cast<size_t>(i) * m + j] = c < limit ? c : 2.0 * limit + 1.0;
      }
    hungarian(s.sub, nr, m, s, s.sub_rows);
    for (int i = 0; i < nr; ++i) {
      const int j = s.sub_rows[static_cast<size_t>(i)];
      if (j >= 0 && j < nc) row_match[static_cast<size_t>(s.comp_rows[i])] = s.comp_cols[j];
    }
  }
  for (int& m : row_match)
    if (m == -2) m = -1;
}

}  // namespace percept

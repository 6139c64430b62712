// `percept report TELEMETRY.jsonl -o report.html`: a self-contained HTML profile of a run
// (plots, bottlenecks, recommendations); the findings are printed on stdout too.
#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.hpp"
#include "percept/core/error.hpp"
#include "percept/telemetry/report.hpp"

namespace percept::cli {

namespace {

struct ReportArgs {
  std::string input, output = "report.html";
};

int run_report(const ReportArgs& a) {
  bool cut_tail = false;
  const std::vector<TelemetrySnapshot> snaps = read_telemetry_file(a.input, &cut_tail);
  if (cut_tail)
    std::fprintf(stderr,
                 "note: the last line of '%s' is cut (the run was killed while writing it); "
                 "it is left out\n",
                 a.input.c_str());
  if (snaps.empty()) throw Error("report: '" + a.input + "' holds no telemetry interval");
  std::ofstream f(a.output);
  f << render_report_html(snaps, "percept report: " + a.input);
  f.close();
  if (!f) throw Error("report: cannot write '" + a.output + "'");
  const TelemetryAnalysis an = analyze_telemetry(snaps);
  std::printf("%zu intervals; report written to %s\n", snaps.size(), a.output.c_str());
  std::fputs(findings_text(an).c_str(), stdout);
  return kExitOk;
}

}  // namespace

std::function<int()> add_report_command(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  CLI::App* c = app.add_subcommand("report", "HTML profile of a run from its telemetry JSONL");
  c->add_option("telemetry", a->input, "Telemetry JSONL written by percept run")->required();
  c->add_option("-o,--output", a->output, "HTML file to write")->capture_default_str();
  return [a] { return run_report(*a); };
}

}  // namespace percept::cli

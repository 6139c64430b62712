// Prints the sample snapshot in the Prometheus text format, for `promtool check metrics`.
#include <iostream>

#include "sample_snapshot.hpp"

int main() {
  std::cout << percept::prometheus_text(percept::test::sample_snapshot());
  // And without a GPU: the families must still be valid with the GPU ones left out.
  std::cerr << percept::prometheus_text(percept::test::sample_snapshot(false)).size() << "\n";
  return 0;
}

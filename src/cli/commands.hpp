// percept's subcommands. Each registers its options on the CLI11 app and runs when chosen.
// Exit codes: 0 success, 1 failure while running, 2 bad input (usage, files, config, model).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace percept::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

// Adds the subcommand; the returned function runs it after parsing.
std::function<int()> add_infer_command(CLI::App& app);
std::function<int()> add_run_command(CLI::App& app);
std::function<int()> add_bench_command(CLI::App& app);
std::function<int()> add_tune_command(CLI::App& app);
std::function<int()> add_report_command(CLI::App& app);
std::function<int()> add_doctor_command(CLI::App& app);
std::function<int()> add_quantize_command(CLI::App& app);

}  // namespace percept::cli

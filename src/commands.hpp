// Entry points of the hookbench subcommands. Each returns the process exit code:
// 0 success, 1 runtime failure, 2 bad usage, 130 interrupted.
#pragma once

namespace hookbench {

int serve_main(int argc, char** argv);
int client_main(int argc, char** argv);
int run_main(int argc, char** argv);
int sweep_main(int argc, char** argv);
int compare_main(int argc, char** argv);
int modes_main(int argc, char** argv);
int link_main(int argc, char** argv);
int model_check_main(int argc, char** argv);
int hosts_main(int argc, char** argv);
int calibrate_main(int argc, char** argv);
int validate_main(int argc, char** argv);
int advise_main(int argc, char** argv);
int project_main(int argc, char** argv);

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

}  // namespace hookbench

#include <cstdio>
#include "options.hpp"
namespace faye::load { int run_echo_library(const EchoOptions&) { std::fputs("faye-ws bench: this mode is not available yet\n", stderr); return 2; } }

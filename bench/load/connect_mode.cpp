#include <cstdio>
#include "options.hpp"
namespace faye::load { int run_connect(const ConnectOptions&) { std::fputs("faye-ws bench: this mode is not available yet\n", stderr); return 2; } }

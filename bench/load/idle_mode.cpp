#include <cstdio>
#include "options.hpp"
namespace faye::load { int run_idle(const IdleOptions&) { std::fputs("faye-ws bench: this mode is not available yet\n", stderr); return 2; } }

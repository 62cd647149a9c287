// A child process driven through pipes: the test writes its standard input
// and reads its standard output line by line, every read with a deadline.
// stderr stays the test's own (diagnostics show up in the test log). The
// destructor ends the child by PID (SIGTERM, then SIGKILL) and reaps it.
//
// Failures throw std::runtime_error; GoogleTest reports them as test failures.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace faye::test {

class PipeProcess {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds default_timeout{10'000};

  explicit PipeProcess(const std::vector<std::string>& argv) {
    // A child that exits while we write must fail the write with EPIPE rather
    // than kill the test binary; the child itself gets SIGPIPE's default back.
    ::signal(SIGPIPE, SIG_IGN);
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) fail_errno("pipe2");
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(in[0]);
      ::close(in[1]);
      fail_errno("pipe2");
    }
    stdin_ = in[1];
    stdout_ = out[0];

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int error = ::posix_spawn(&pid_, args[0], &actions, &attributes, args.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    if (error != 0) {
      ::close(stdin_);
      ::close(stdout_);
      throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
    }
  }
  PipeProcess(const PipeProcess&) = delete;
  PipeProcess& operator=(const PipeProcess&) = delete;

  ~PipeProcess() {
    close_stdin();
    if (running()) {
      ::kill(pid_, SIGTERM);
      const auto deadline = Clock::now() + std::chrono::seconds(2);
      while (running() && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (running()) ::kill(pid_, SIGKILL);
    }
    if (!reaped_) ::waitpid(pid_, &status_, 0);
    ::close(stdout_);
  }

  pid_t pid() const { return pid_; }
  void signal(int number) {
    if (running()) ::kill(pid_, number);
  }

  // Writes everything to the child's stdin.
  void write(std::string_view text) {
    if (stdin_ < 0) throw std::runtime_error("the child's stdin is already closed");
    while (!text.empty()) {
      const ssize_t sent = ::write(stdin_, text.data(), text.size());
      if (sent < 0) {
        if (errno == EINTR) continue;
        fail_errno("write to the child's stdin");
      }
      text.remove_prefix(static_cast<std::size_t>(sent));
    }
  }

  // End of input for the child.
  void close_stdin() {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }

  // The next line the child writes to stdout, without the newline. Throws on
  // timeout or when the child closes its stdout first.
  std::string read_line(std::chrono::milliseconds timeout = default_timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (auto end = pending_.find('\n'); end != std::string::npos) {
        std::string line = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        return line;
      }
      if (!fill(deadline)) {
        throw std::runtime_error("the child closed its stdout; unfinished output: \"" + pending_ +
                                 '"');
      }
    }
  }

  // Lines until one starts with `prefix` (returned); the skipped ones are
  // appended to `skipped` when given.
  std::string read_line_starting_with(std::string_view prefix,
                                      std::chrono::milliseconds timeout = default_timeout,
                                      std::vector<std::string>* skipped = nullptr) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        throw std::runtime_error("timed out waiting for a line starting with " +
                                 std::string(prefix));
      }
      std::string line = read_line(left);
      if (line.starts_with(prefix)) return line;
      if (skipped != nullptr) skipped->push_back(std::move(line));
    }
  }

  // True once the child's stdout has reached its end with nothing more in it.
  bool reads_eof(std::chrono::milliseconds timeout = default_timeout) {
    const auto deadline = Clock::now() + timeout;
    while (pending_.empty()) {
      if (!fill(deadline)) return true;
    }
    return false;
  }

  // The wait status once the child has exited, or nothing after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = default_timeout) {
    const auto deadline = Clock::now() + timeout;
    while (running()) {
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return status_;
  }

  // Still alive (reaps it, keeping its status, once it has exited).
  bool running() {
    if (reaped_) return false;
    if (::waitpid(pid_, &status_, WNOHANG) == 0) return true;
    reaped_ = true;
    return false;
  }

 private:
  [[noreturn]] static void fail_errno(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
  }

  // Appends what the child has written; false at the end of its output.
  // Throws when the deadline passes first.
  bool fill(Clock::time_point deadline) {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        throw std::runtime_error("timed out reading the child's stdout; unfinished output: \"" +
                                 pending_ + '"');
      }
      pollfd entry{stdout_, POLLIN, 0};
      const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) fail_errno("poll");
      if (ready <= 0) continue;
      char chunk[4096];
      const ssize_t got = ::read(stdout_, chunk, sizeof chunk);
      if (got == 0) return false;
      if (got < 0) {
        if (errno == EINTR) continue;
        fail_errno("read from the child's stdout");
      }
      pending_.append(chunk, static_cast<std::size_t>(got));
      return true;
    }
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::string pending_;
};

}  // namespace faye::test

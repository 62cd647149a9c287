#include "faye/event_handler.hpp"

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace faye {
namespace {

static_assert(sizeof(EventHandler<void()>) == 16);
static_assert(sizeof(EventHandler<void(const std::string&)>) == 16);
static_assert(std::is_nothrow_move_constructible_v<EventHandler<void()>>);
static_assert(!std::is_constructible_v<EventHandler<void(int)>, void (*)(std::string)>);
static_assert(!std::is_convertible_v<EventHandler<void()>, bool>);  // explicit, as std::function's

// Whether the callable lives inside the handler's own 16 bytes.
bool stored_inside(const void* handler, const void* callable) {
  auto* begin = static_cast<const unsigned char*>(handler);
  auto* at = static_cast<const unsigned char*>(callable);
  return at >= begin && at < begin + 16;
}

// Trivially copyable, 8 bytes: kept inside. Reports where it ran from.
struct WhereAmI {
  const void** seen;
  void operator()() const { *seen = this; }
};

// Trivially copyable but 24 bytes: boxed.
struct BigWhereAmI {
  const void** seen;
  std::array<void*, 2> padding{};
  void operator()() const { *seen = this; }
};

// Counts its copies, moves and destructions (so: not trivially copyable).
struct Counts {
  int copies = 0;
  int moves = 0;
  int destroyed = 0;
  int calls = 0;
};
struct Counting {
  Counts* counts;
  explicit Counting(Counts* c) : counts(c) {}
  Counting(const Counting& other) : counts(other.counts) { ++counts->copies; }
  Counting(Counting&& other) noexcept : counts(other.counts) { ++counts->moves; }
  Counting& operator=(const Counting&) = delete;
  ~Counting() { ++counts->destroyed; }
  void operator()(int) const { ++counts->calls; }
};

TEST(EventHandler, IsEmptyByDefaultAndFromNullptr) {
  EventHandler<void()> by_default;
  EventHandler<void()> from_null = nullptr;
  EXPECT_FALSE(by_default);
  EXPECT_FALSE(from_null);
  EXPECT_TRUE(by_default == nullptr);
  EXPECT_FALSE(by_default != nullptr);
  EXPECT_THROW(by_default(), std::bad_function_call);
}

TEST(EventHandler, KeepsASmallTriviallyCopyableCallableInside) {
  const void* seen = nullptr;
  EventHandler<void()> handler = WhereAmI{&seen};
  ASSERT_TRUE(handler);
  handler();
  EXPECT_TRUE(stored_inside(&handler, seen));

  // Moved and copied with the handler's bytes.
  EventHandler<void()> moved = std::move(handler);
  EXPECT_FALSE(handler);  // NOLINT(bugprone-use-after-move): moved-from is empty
  moved();
  EXPECT_TRUE(stored_inside(&moved, seen));
  EventHandler<void()> copy = moved;
  copy();
  EXPECT_TRUE(stored_inside(&copy, seen));
}

TEST(EventHandler, KeepsALambdaCapturingOnePointerInside) {
  int calls = 0;
  int* counter = &calls;
  EventHandler<void(int)> handler = [counter](int n) { *counter += n; };
  handler(2);
  handler(3);
  EXPECT_EQ(calls, 5);
}

TEST(EventHandler, BoxesALargeCallable) {
  const void* seen = nullptr;
  EventHandler<void()> handler = BigWhereAmI{&seen};
  handler();
  EXPECT_FALSE(stored_inside(&handler, seen));
  const void* boxed = seen;
  // A move takes the box along: the callable stays where it is.
  EventHandler<void()> moved = std::move(handler);
  moved();
  EXPECT_EQ(seen, boxed);
  // A copy has its own box.
  EventHandler<void()> copy = moved;
  copy();
  EXPECT_NE(seen, boxed);
  EXPECT_FALSE(stored_inside(&copy, seen));
}

TEST(EventHandler, CopiesMovesAndDestroysABoxedCallableAsOften) {
  Counts counts;
  {
    EventHandler<void(int)> handler = Counting(&counts);
    EXPECT_EQ(counts.moves, 1);  // into its box
    EXPECT_EQ(counts.copies, 0);
    handler(1);
    EXPECT_EQ(counts.calls, 1);

    EventHandler<void(int)> copy = handler;
    EXPECT_EQ(counts.copies, 1);
    EventHandler<void(int)> moved = std::move(handler);
    EXPECT_EQ(counts.copies, 1);  // the box changes hands
    EXPECT_EQ(counts.moves, 1);
    moved(1);
    copy(1);
    EXPECT_EQ(counts.calls, 3);

    const int destroyed_before = counts.destroyed;  // the temporary
    copy = nullptr;
    EXPECT_EQ(counts.destroyed, destroyed_before + 1);
    EXPECT_FALSE(copy);
  }
  // Every one made is destroyed: the temporary, the boxes of `handler`
  // (moved) and `copy` (reset above).
  EXPECT_EQ(counts.destroyed, 1 + counts.copies + counts.moves);
}

TEST(EventHandler, ReassignmentDestroysTheOldCallable) {
  Counts first;
  Counts second;
  EventHandler<void(int)> handler = Counting(&first);
  const int before = first.destroyed;
  handler = Counting(&second);
  EXPECT_EQ(first.destroyed, before + 1);
  handler(0);
  EXPECT_EQ(first.calls, 0);
  EXPECT_EQ(second.calls, 1);
}

TEST(EventHandler, TakesAStdFunctionEmptyOrNot) {
  std::function<void(int)> empty;
  EventHandler<void(int)> from_empty = empty;
  EXPECT_FALSE(from_empty);

  int total = 0;
  std::function<void(int)> adds = [&total](int n) { total += n; };
  EventHandler<void(int)> from_function = adds;
  ASSERT_TRUE(from_function);
  from_function(4);
  EXPECT_EQ(total, 4);

  EventHandler<void(int)> assigned;
  assigned = std::function<void(int)>();
  EXPECT_FALSE(assigned);
  assigned = adds;
  assigned(1);
  EXPECT_EQ(total, 5);
}

void add_one(int& n) { ++n; }

TEST(EventHandler, TakesFunctionsAndFunctionPointers) {
  int n = 0;
  EventHandler<void(int&)> by_name = add_one;
  by_name(n);
  void (*pointer)(int&) = &add_one;
  EventHandler<void(int&)> by_pointer = pointer;
  by_pointer(n);
  EXPECT_EQ(n, 2);
  void (*null_pointer)(int&) = nullptr;
  EventHandler<void(int&)> from_null_pointer = null_pointer;
  EXPECT_FALSE(from_null_pointer);
}

TEST(EventHandler, ReturnsTheResultAndPassesMoveOnlyArguments) {
  EventHandler<int(std::unique_ptr<int>)> take = [](std::unique_ptr<int> p) { return *p * 2; };
  EXPECT_EQ(take(std::make_unique<int>(21)), 42);
  // A void handler discards a result, as std::function<void()> does.
  EventHandler<void()> discards = [] { return 7; };
  discards();
}

TEST(EventHandler, KeepsAMutableLambdasStateFromCallToCall) {
  EventHandler<int()> inside = [n = 0]() mutable { return ++n; };
  inside();
  EXPECT_EQ(inside(), 2);
  EventHandler<int()> boxed = [n = 0, text = std::string("x")]() mutable {
    return ++n + static_cast<int>(text.size()) - 1;
  };
  boxed();
  EXPECT_EQ(boxed(), 2);
}

TEST(EventHandler, SurvivesSelfAssignment) {
  auto owned = std::make_shared<int>(3);
  EventHandler<int()> handler = [owned] { return *owned; };  // boxed: a shared_ptr
  auto& alias = handler;
  handler = alias;
  EXPECT_EQ(handler(), 3);
  handler = std::move(alias);
  ASSERT_TRUE(handler);
  EXPECT_EQ(handler(), 3);
  EXPECT_EQ(owned.use_count(), 2);
}

TEST(EventHandler, SwapsCallables) {
  EventHandler<int()> one = [] { return 1; };
  auto owned = std::make_shared<int>(2);
  EventHandler<int()> two = [owned] { return *owned; };
  swap(one, two);
  EXPECT_EQ(one(), 2);
  EXPECT_EQ(two(), 1);
}

// A handler may replace or clear itself while it runs (as with
// std::function, provided it does not touch its captures afterwards); the
// next call reaches the new callable. Under AddressSanitizer this also checks
// that the call returns through nothing the assignment freed.
TEST(EventHandler, MayBeReassignedFromInsideItself) {
  struct Socket {
    EventHandler<void(int)> onmessage;
    int seen = 0;
  } socket;
  auto boxed_state = std::make_shared<int>(0);
  socket.onmessage = [&socket, boxed_state](int n) {
    socket.seen += n + *boxed_state;
    socket.onmessage = [s = &socket](int m) { s->seen += 10 * m; };
  };
  socket.onmessage(1);
  EXPECT_EQ(boxed_state.use_count(), 1);  // the first callable is gone
  socket.onmessage(2);
  EXPECT_EQ(socket.seen, 21);

  socket.onmessage = [s = &socket](int) { s->onmessage = nullptr; };
  socket.onmessage(0);
  EXPECT_FALSE(socket.onmessage);
}

// The pattern `[ws] { ws->onmessage = nullptr; ws->send("bye"); }`: a small
// handler that clears itself still has its captures until it returns.
TEST(EventHandler, MayClearItselfAndGoOnWithItsCaptures) {
  struct Socket {
    EventHandler<void()> onmessage;
    int sent = 0;
  } socket;
  socket.onmessage = [s = &socket] {
    s->onmessage = nullptr;
    ++s->sent;
  };
  socket.onmessage();
  EXPECT_EQ(socket.sent, 1);
  EXPECT_FALSE(socket.onmessage);
}

// A boxed callable's captures are released when it is cleared, and a
// destructor that runs then already sees the handler empty.
TEST(EventHandler, IsEmptyWhileItsCallableIsDestroyed) {
  struct Probe {
    Probe(EventHandler<void()>* h, bool* seen) : handler(h), saw_empty(seen) {}
    Probe(const Probe&) = delete;
    ~Probe() { *saw_empty = !*handler; }
    EventHandler<void()>* handler;
    bool* saw_empty;
  };
  EventHandler<void()> handler;
  bool saw_empty = false;
  auto probe = std::make_shared<Probe>(&handler, &saw_empty);
  handler = [probe] {};
  probe.reset();  // the handler's capture is the last owner
  ASSERT_FALSE(saw_empty);
  handler = nullptr;
  EXPECT_TRUE(saw_empty);
}

TEST(EventHandler, IsNotCalledThroughAFormerCopy) {
  int calls = 0;
  EventHandler<void()> handler = [&calls] { ++calls; };
  EventHandler<void()> copy = handler;
  handler = nullptr;
  copy();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(handler);
}

}  // namespace
}  // namespace faye

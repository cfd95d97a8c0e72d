#include "engine/request_queue.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "common/error.h"

namespace turbine {
namespace {

std::unique_ptr<Request> make(const std::string& id) {
  return std::make_unique<Request>(id, std::vector<int32_t>{1, 2, 3}, RequestParams{});
}

TEST(RequestQueue, DrainsEventsInArrivalOrderAndStampsArrival) {
  RequestQueue queue;
  queue.submit(make("a"));
  queue.abort("a");
  queue.submit(make("b"));
  EXPECT_TRUE(queue.has_events());
  std::vector<RequestQueue::Event> events = queue.drain();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, RequestQueue::Event::Kind::kSubmit);
  EXPECT_EQ(events[1].kind, RequestQueue::Event::Kind::kAbort);
  EXPECT_EQ(events[1].id, "a");
  EXPECT_LT(events[0].request->arrival_seq, events[2].request->arrival_seq);
  EXPECT_FALSE(queue.has_events());
}

TEST(RequestQueue, RefusesALiveIdUntilReleased) {
  RequestQueue queue;
  queue.submit(make("a"));
  EXPECT_THROW(queue.submit(make("a")), Error);
  queue.drain();
  EXPECT_THROW(queue.submit(make("a")), Error);  // still live in the engine
  queue.release_id("a");
  EXPECT_NO_THROW(queue.submit(make("a")));
}

TEST(RequestQueue, WaitWakesOnSubmitFromAnotherThreadAndOnClose) {
  RequestQueue queue;
  EXPECT_FALSE(queue.wait_for_work(std::chrono::milliseconds(1)));
  std::thread producer([&] { queue.submit(make("x")); });
  EXPECT_TRUE(queue.wait_for_work(std::chrono::seconds(10)));
  producer.join();
  queue.drain();
  std::thread closer([&] { queue.close(); });
  EXPECT_FALSE(queue.wait_for_work(std::chrono::seconds(10)));
  closer.join();
  EXPECT_THROW(queue.submit(make("y")), Error);
}

TEST(RequestQueue, ManyProducersLoseNothing) {
  RequestQueue queue;
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t)
    producers.emplace_back([&queue, t] {
      for (int i = 0; i < 200; ++i) queue.submit(make(fmt::format("{}-{}", t, i)));
    });
  size_t drained = 0;
  for (auto& producer : producers) producer.join();
  drained += queue.drain().size();
  EXPECT_EQ(drained, 800u);
}

}  // namespace
}  // namespace turbine

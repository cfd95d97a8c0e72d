// The HTTP layer over real sockets with a scripted handler: keep-alive, chunked streams, the
// body limit (413), malformed requests, 100-continue, and a client leaving mid-response.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/http_server.h"
#include "http_test_support.h"

namespace turbine::server {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::ScriptedHandler;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.port = 0;
    options.body_limit = 1024;
    server_ = std::make_unique<HttpServer>(options, handler_);
    server_->start();
  }
  void TearDown() override {
    handler_.join();
    server_->stop();
    handler_.held_.reset();
  }
  template <typename Pred>
  static bool eventually(Pred pred) {
    for (int i = 0; i < 500 && !pred(); ++i) std::this_thread::sleep_for(10ms);
    return pred();
  }

  ScriptedHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Client c(server_->port());
  for (int i = 0; i < 3; ++i) {
    c.clear();
    const std::string body = "hello " + std::to_string(i);
    c.send("POST /echo?x=1 HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body);
    const std::string response = c.read_until("hello " + std::to_string(i));
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
    EXPECT_NE(response.find("X-Test: 1"), std::string::npos);
    EXPECT_NE(response.find("Server: turbine"), std::string::npos);
    EXPECT_NE(response.find("POST hello"), std::string::npos);
  }
  const HttpRequest last = handler_.last();
  EXPECT_EQ(last.path, "/echo");
  EXPECT_EQ(last.target, "/echo?x=1");
  EXPECT_EQ(last.header("content-type"), "text/plain");  // names lower-cased
  EXPECT_NE(last.remote_address.find("127.0.0.1:"), std::string::npos);
  EXPECT_EQ(handler_.requests_.load(), 3);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  Client c(server_->port());
  c.send("GET /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(HttpServerTest, StreamsChunkedAndEnds) {
  Client c(server_->port());
  c.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string response = c.read_until("data: two\n\n\r\n");
  EXPECT_NE(response.find("Transfer-Encoding: chunked"), std::string::npos) << response;
  EXPECT_NE(response.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(response.find("b\r\ndata: one\n\n\r\n"), std::string::npos) << response;
  EXPECT_EQ(response.find("0\r\n\r\n"), std::string::npos) << "ended early: " << response;
  handler_.release();
  response = c.read_until("0\r\n\r\n");
  EXPECT_NE(response.find("data: [DONE]\n\n\r\n0\r\n\r\n"), std::string::npos) << response;
  EXPECT_TRUE(eventually([&] { return handler_.ended_ok_.load(); }));
  EXPECT_EQ(handler_.writes_ok_.load(), 4);
  EXPECT_FALSE(handler_.disconnected_.load());
  // The connection is still good for the next request.
  c.clear();
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_NE(c.read_until("POST ok").find("POST ok"), std::string::npos);
}

TEST_F(HttpServerTest, ClientLeavingMidResponseFiresTheDisconnectHandler) {
  {
    Client c(server_->port());
    c.send("GET /hold HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_TRUE(eventually([&] { return handler_.requests_.load() == 1; }));
    EXPECT_FALSE(handler_.disconnected_.load());
  }
  EXPECT_TRUE(eventually([&] { return handler_.disconnected_.load(); }));
  // A late write on the dead exchange fails cleanly.
  std::atomic<int> result{-1};
  handler_.held_->write("x", [&](bool ok) { result = ok; });
  EXPECT_TRUE(eventually([&] { return result.load() == 0; }));
  // A handler set after the client left still runs.
  std::atomic<bool> late{false};
  handler_.held_->set_disconnect_handler([&] { late = true; });
  EXPECT_TRUE(eventually([&] { return late.load(); }));
}

// A request that arrives in pieces leaves stale readiness events behind (epoll is edge-
// triggered); they must not be taken for the client leaving.
TEST_F(HttpServerTest, RequestInPiecesIsNotMistakenForADisconnect) {
  for (int i = 0; i < 20; ++i) {
    handler_.disconnected_ = false;
    Client c(server_->port());
    c.send("POST /hold HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab");
    std::this_thread::sleep_for(2ms);
    c.send("cd");
    ASSERT_TRUE(eventually([&] { return handler_.requests_.load() == i + 1; }));
    std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(handler_.disconnected_.load()) << "round " << i;
    c.close();
    EXPECT_TRUE(eventually([&] { return handler_.disconnected_.load(); })) << "round " << i;
  }
}

TEST_F(HttpServerTest, StreamingClientLeavingFiresTheDisconnectHandler) {
  {
    Client c(server_->port());
    c.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
    c.read_until("data: two");
  }
  EXPECT_TRUE(eventually([&] { return handler_.disconnected_.load(); }));
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413) {
  Client c(server_->port());
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a'));
  const std::string response = c.read_until("}}");
  EXPECT_EQ(response.rfind("HTTP/1.1 413", 0), 0u) << response;
  EXPECT_NE(response.find("\"code\":\"request_too_large\""), std::string::npos);
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(handler_.requests_.load(), 0);
  // Chunked bodies are limited too.
  Client d(server_->port());
  d.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + std::string(2048, 'b') + "\r\n0\r\n\r\n");
  EXPECT_EQ(d.read_until("}}").rfind("HTTP/1.1 413", 0), 0u);
}

TEST_F(HttpServerTest, MalformedRequestsAre400AndTheServerLivesOn) {
  for (const std::string& garbage : std::vector<std::string>{"NOT HTTP\r\n\r\n", "GET / HTTP/7.1\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                                    std::string("\x16\x03\x01\x02\x00\x01\x00", 7)}) {
    Client c(server_->port());
    c.send(garbage);
    const std::string response = c.read_until("}}");
    EXPECT_EQ(response.rfind("HTTP/1.1 400", 0), 0u) << garbage << " -> " << response;
  }
  {
    Client c(server_->port());
    c.send("GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(70000, 'h') + "\r\n\r\n");
    EXPECT_EQ(c.read_until("}}").rfind("HTTP/1.1 431", 0), 0u);
  }
  Client ok(server_->port());
  ok.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_NE(ok.read_until("POST hi").find("POST hi"), std::string::npos);
}

TEST_F(HttpServerTest, ExpectContinueGetsA100) {
  Client c(server_->port());
  c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.read_until("\r\n\r\n").rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u);
  c.send("abc");
  EXPECT_NE(c.read_until("POST abc").find("POST abc"), std::string::npos);
}

TEST_F(HttpServerTest, StopAcceptingClosesIdleConnectionsAndFinishesBusyOnes) {
  Client idle(server_->port());
  idle.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\na");
  idle.read_until("POST a");
  Client busy(server_->port());
  busy.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  busy.read_until("data: two");
  server_->stop_accepting();
  EXPECT_TRUE(idle.wait_closed());
  handler_.release();
  const std::string rest = busy.read_until("0\r\n\r\n");
  EXPECT_NE(rest.find("data: [DONE]"), std::string::npos);
  EXPECT_TRUE(busy.wait_closed());  // not kept alive while draining
}

}  // namespace
}  // namespace turbine::server

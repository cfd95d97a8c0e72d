// Regression tests of the HTTP layer's hardening, over raw sockets: exact bytes in, the exact
// reply and the connection's fate out. The server runs `turbine serve`'s request policy
// (OpenAiApi::request_policy) in front of a handler that answers as the request's X-Reply header says.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "http_test_support.h"
#include "server/http_server.h"
#include "server/openai_api.h"

namespace turbine::server {
namespace {

using namespace std::chrono_literals;
using testing::Client;

constexpr const char* kKey = "sekret";

// Answers every path: "X-Reply: stream" streams two events, "abandon" streams one and then waits
// for the client to leave (as a generation does), "503" is a 503, "later" answers from another
// thread after 100 ms; otherwise 200 with "METHOD path body".
class ReplyHandler : public HttpHandler {
 public:
  void handle(HttpRequest request, std::shared_ptr<HttpExchange> exchange) override {
    ++requests_;
    const std::string reply(request.header("x-reply"));
    if (reply == "stream") {
      exchange->start_stream(200, "text/event-stream");
      exchange->write("data: one\n\n", [](bool) {});
      exchange->write("data: two\n\n", [](bool) {});
      exchange->end_stream();
    } else if (reply == "abandon") {
      // As a generation does: stops on disconnect and never finishes its reply.
      exchange->start_stream(200, "text/event-stream");
      exchange->write("data: one\n\n", [](bool) {});
      exchange->set_disconnect_handler([this] { ++abandoned_; });
    } else if (reply == "503") {
      exchange->send(HttpResponse{503, "application/json", "{}", {}});
    } else if (reply == "later") {
      std::lock_guard lock(mutex_);
      threads_.emplace_back([exchange, text = request.method + " " + request.path] {
        std::this_thread::sleep_for(100ms);
        exchange->send(HttpResponse{200, "text/plain", text, {}});
      });
    } else {
      exchange->send(HttpResponse{200, "text/plain", request.method + " " + request.path + " " + request.body, {}});
    }
  }
  void join() {
    std::lock_guard lock(mutex_);
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  std::atomic<int> requests_{0};
  std::atomic<int> abandoned_{0};

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

class HttpFramingTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options) {
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, handler_);
    server_->start();
  }
  void start_with(std::optional<std::string> key, CorsOptions cors = {}) {
    HttpServerOptions options;
    options.body_limit = 1 << 20;
    options.policy = OpenAiApi::request_policy(std::move(key), std::move(cors));
    start(options);
  }
  void TearDown() override {
    handler_.join();
    if (server_) server_->stop();
  }
  // Sends `request` on a fresh connection; the whole reply, and whether the server closed.
  std::pair<std::string, bool> exchange(const std::string& request, bool half_close = false) {
    Client c(server_->port());
    c.send(request);
    if (half_close) c.shutdown_write();
    const bool closed = c.wait_closed();
    return {c.received(), closed};
  }
  static size_t count(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }

  ReplyHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

std::string json_post(const std::string& path, const std::string& extra_headers, const std::string& body = "{}") {
  return "POST " + path + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// ---- 1. Authentication is decided from the header; the body is never read without the key.

TEST_F(HttpFramingTest, MissingKeyIs401BeforeTheBodyAndCloses) {
  start_with(kKey);
  Client c(server_->port());
  // Announces 1 MB (within the limit) and sends none of it: the 401 must come at once, not after a body read.
  c.send("POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
         "Content-Length: 1000000\r\n\r\n");
  const std::string reply = c.read_until("}}");
  EXPECT_EQ(reply.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("WWW-Authenticate: Bearer\r\n"), std::string::npos);
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(reply.find("\"type\":\"authentication_error\""), std::string::npos);
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(handler_.requests_.load(), 0);
}

TEST_F(HttpFramingTest, ExpectContinueIsNotGrantedWithoutTheKey) {
  start_with(kKey);
  const auto [reply, closed] = exchange(
      "POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\nAuthorization: Bearer wrong\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 401", 0), 0u) << reply;
  EXPECT_EQ(reply.find("100 Continue"), std::string::npos);
  EXPECT_NE(reply.find("incorrect API key"), std::string::npos);
  EXPECT_TRUE(closed);
}

TEST_F(HttpFramingTest, TokenizeAndDetokenizeNeedTheKey) {
  start_with(kKey);
  for (const std::string path : {"/tokenize", "/detokenize", "/v1/models", "/unknown"}) {
    const bool get = path == "/v1/models";
    const std::string request =
        get ? "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n" : json_post(path, "");
    EXPECT_EQ(exchange(request).first.rfind("HTTP/1.1 401", 0), 0u) << path;
  }
  const auto [reply, closed] = exchange(json_post("/tokenize", "Authorization: Bearer sekret\r\nConnection: close\r\n"));
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find("POST /tokenize {}"), std::string::npos);
}

TEST_F(HttpFramingTest, HealthVersionAndMetricsArePublic) {
  start_with(kKey);
  for (const std::string path : {"/health", "/version", "/metrics"}) {
    const auto [reply, closed] = exchange("GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << path << ": " << reply;
  }
}

// ---- 2. After a framing error: one reply with Connection: close, and nothing more is read.

TEST_F(HttpFramingTest, TransferEncodingNotEndingInChunkedIs400AndNoSecondRequestIsServed) {
  start_with(std::nullopt);
  const auto [reply, closed] = exchange(
      "POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"
      "GET /version HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
  EXPECT_EQ(count(reply, "Server: turbine"), 1u) << "the body was served as a request: " << reply;
  EXPECT_TRUE(closed);
  EXPECT_EQ(handler_.requests_.load(), 0);
}

TEST_F(HttpFramingTest, EveryFramingErrorClosesTheConnection) {
  start_with(std::nullopt);
  const std::string next = "GET /version HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"chunked then gzip", "Transfer-Encoding: chunked, gzip\r\n\r\n"},
      {"gzip then chunked", "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
      {"two chunked lines", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"length and chunked", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"chunked and length", "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"},
      {"two lengths", "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"},
      {"bad length", "Content-Length: 2x\r\n\r\n{}"},
      {"negative length", "Content-Length: -2\r\n\r\n{}"},
      {"bad chunk", "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"},
  };
  for (const auto& [name, rest] : cases) {
    const auto [reply, closed] =
        exchange("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + rest + next);
    const int status = reply.size() > 12 ? std::stoi(reply.substr(9, 3)) : 0;
    EXPECT_TRUE(status == 400 || status == 501) << name << ": " << reply;
    EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << name << ": " << reply;
    EXPECT_EQ(count(reply, "Server: turbine"), 1u) << name << ": " << reply;
    EXPECT_TRUE(closed) << name;
  }
  // HTTP/1.0 has no transfer codings; HTTP/1.1 needs exactly one Host.
  for (const std::string request : {"POST /tokenize HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                                    "GET /version HTTP/1.1\r\n\r\n", "GET /version HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"}) {
    const auto [reply, closed] = exchange(request + next);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << request << " -> " << reply;
    EXPECT_EQ(count(reply, "Server: turbine"), 1u) << reply;
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(handler_.requests_.load(), 0);
}

// ---- 3. HTTP/1.0 keep-alive is echoed, or the connection closes.

TEST_F(HttpFramingTest, Http10KeepAliveIsEchoedAndTheConnectionServesTheNextRequest) {
  start_with(std::nullopt);
  Client c(server_->port());
  c.send("GET /version HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  std::string reply = c.read_until("GET /version ");
  EXPECT_NE(reply.find("Connection: keep-alive\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Content-Length: "), std::string::npos) << reply;
  c.clear();
  c.send("GET /health HTTP/1.0\r\n\r\n");  // no keep-alive: closed after the reply
  EXPECT_TRUE(c.wait_closed());
  reply = c.received();
  EXPECT_NE(reply.find("GET /health"), std::string::npos) << reply;
  EXPECT_EQ(reply.find("keep-alive"), std::string::npos) << reply;
}

TEST_F(HttpFramingTest, Http10WithoutKeepAliveIsClosedAfterTheReply) {
  start_with(std::nullopt);
  const auto [reply, closed] = exchange("GET /health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
  EXPECT_TRUE(closed);
}

// ---- 4. A client that half-closes after its request still gets the reply.

TEST_F(HttpFramingTest, HalfClosedClientGetsTheWholeReplyThenTheConnectionCloses) {
  start_with(std::nullopt);
  {
    const auto [reply, closed] = exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", /*half_close=*/true);
    EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
    EXPECT_NE(reply.find("GET /health"), std::string::npos) << reply;
    EXPECT_TRUE(closed);
  }
  // A reply that comes later, from another thread, still goes out.
  const auto [reply, closed] =
      exchange(json_post("/tokenize", "X-Reply: later\r\n"), /*half_close=*/true);
  EXPECT_NE(reply.find("POST /tokenize"), std::string::npos) << reply;
  EXPECT_TRUE(closed);
}

// A client that leaves a stream whose handler gives up (a generation) gets its connection closed
// by the server too: the soak test found every dropped stream left a socket in CLOSE_WAIT.
TEST_F(HttpFramingTest, AStreamTheClientLeavesIsClosedOnTheServersSide) {
  start_with(std::nullopt);
  auto open_sockets = [] {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      const auto target = std::filesystem::read_symlink(entry.path(), ec);
      n += !ec && target.string().rfind("socket:", 0) == 0;
    }
    return n;
  };
  const int before = open_sockets();
  for (int i = 0; i < 20; ++i) {
    Client c(server_->port());
    c.send(json_post("/v1/completions", "X-Reply: abandon\r\n"));
    EXPECT_NE(c.read_until("data: one").find("data: one"), std::string::npos);
    c.close();
  }
  for (int i = 0; i < 200 && (handler_.abandoned_ < 20 || open_sockets() > before); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(handler_.abandoned_.load(), 20);
  EXPECT_LE(open_sockets(), before) << "the server kept the left connections open";
}

// ---- 5. HTTP/1.0 streams go without chunked framing and end by closing.

TEST_F(HttpFramingTest, Http10StreamIsUnframedAndEndsByClosing) {
  start_with(std::nullopt);
  const auto [reply, closed] = exchange(
      "POST /v1/completions HTTP/1.0\r\nContent-Type: application/json\r\nX-Reply: stream\r\n"
      "Content-Length: 2\r\n\r\n{}");
  EXPECT_EQ(reply.find("Transfer-Encoding"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("\r\n\r\ndata: one\n\ndata: two\n\n"), std::string::npos) << reply;
  EXPECT_EQ(reply.substr(reply.size() - 5), "two\n\n") << "trailing bytes: " << reply;
  EXPECT_TRUE(closed);
}

// ---- 6. JSON bodies only; CORS from the allowed list.

TEST_F(HttpFramingTest, NonJsonPostIs415) {
  start_with(std::nullopt);
  for (const std::string type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                 "application/jsonx", ""}) {
    const std::string header = type.empty() ? "" : "Content-Type: " + type + "\r\n";
    const auto [reply, closed] =
        exchange("POST /v1/completions HTTP/1.1\r\nHost: t\r\n" + header + "Content-Length: 2\r\n\r\n{}");
    EXPECT_EQ(reply.rfind("HTTP/1.1 415 Unsupported Media Type\r\n", 0), 0u) << type << ": " << reply;
    EXPECT_NE(reply.find("\"code\":\"unsupported_media_type\""), std::string::npos) << reply;
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(handler_.requests_.load(), 0);
  const auto [reply, closed] =
      exchange("POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Type: Application/JSON; charset=utf-8\r\n"
               "Connection: close\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
}

TEST_F(HttpFramingTest, NoOriginIsAllowedByDefault) {
  start_with(std::nullopt);
  const auto [reply, closed] = exchange(
      "OPTIONS /v1/completions HTTP/1.1\r\nHost: t\r\nOrigin: http://evil.example\r\n"
      "Access-Control-Request-Method: POST\r\n\r\n");
  EXPECT_EQ(reply.find("Access-Control-Allow-Origin"), std::string::npos) << reply;
  EXPECT_EQ(reply.rfind("HTTP/1.1 405", 0), 0u) << reply;
  const auto [post, post_closed] =
      exchange(json_post("/v1/completions", "Origin: http://evil.example\r\nConnection: close\r\n"));
  EXPECT_EQ(post.find("Access-Control-Allow-Origin"), std::string::npos) << post;
}

TEST_F(HttpFramingTest, PreflightsAreAnsweredFromTheAllowedOrigins) {
  start_with(kKey, CorsOptions{{"http://app.example"}, {"POST", "GET"}, {"authorization", "content-type"}});
  Client c(server_->port());
  c.send("OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: t\r\nOrigin: http://app.example\r\n"
         "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: Authorization, Content-Type\r\n\r\n");
  const std::string reply = c.read_until("Access-Control-Max-Age: 600\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 204 No Content\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("Access-Control-Allow-Origin: http://app.example\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Access-Control-Allow-Methods: POST, GET\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Access-Control-Allow-Headers: authorization, content-type\r\n"), std::string::npos) << reply;
  // The connection stays usable, and the actual request's reply names the origin.
  c.clear();
  c.send(json_post("/v1/chat/completions", "Origin: http://app.example\r\nAuthorization: Bearer sekret\r\n"));
  const std::string post = c.read_until("POST /v1/chat/completions {}");
  EXPECT_NE(post.find("Access-Control-Allow-Origin: http://app.example\r\n"), std::string::npos) << post;
  EXPECT_NE(post.find("Vary: Origin\r\n"), std::string::npos) << post;
  // Another origin, or a method not in the list, is refused.
  for (const std::string& bad : {std::string("Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n"),
                                 std::string("Origin: http://app.example\r\nAccess-Control-Request-Method: DELETE\r\n")}) {
    const auto [refused, closed] = exchange("OPTIONS /v1/completions HTTP/1.1\r\nHost: t\r\n" + bad + "\r\n");
    EXPECT_EQ(refused.rfind("HTTP/1.1 400", 0), 0u) << refused;
    EXPECT_EQ(refused.find("Access-Control-Allow-Origin: http://evil"), std::string::npos) << refused;
  }
}

TEST_F(HttpFramingTest, AnyOriginWithStar) {
  start_with(std::nullopt, CorsOptions{{"*"}});
  const auto [reply, closed] =
      exchange("GET /version HTTP/1.1\r\nHost: t\r\nOrigin: http://x.example\r\nConnection: close\r\n\r\n");
  EXPECT_NE(reply.find("Access-Control-Allow-Origin: *\r\n"), std::string::npos) << reply;
}

// ---- 7. The connection cap and the read timeouts.

TEST_F(HttpFramingTest, ConnectionsBeyondTheCapGetAFast503) {
  HttpServerOptions options;
  options.max_connections = 2;
  start(options);
  Client a(server_->port()), b(server_->port());
  for (Client* c : {&a, &b}) {  // both accepted and counted
    c->send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
    c->read_until("GET /x ");
  }
  const auto start_time = std::chrono::steady_clock::now();
  const auto [reply, closed] = exchange("GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, 3s);
  EXPECT_EQ(reply.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("Retry-After: 1\r\n"), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"code\":\"too_many_connections\""), std::string::npos) << reply;
  EXPECT_TRUE(closed);
  a.close();
  b.close();
  // Once they are gone, new clients are served again.
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    served = exchange("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").first.rfind("HTTP/1.1 200", 0) == 0;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

TEST_F(HttpFramingTest, SlowHeaderAndIdleConnectionsAreClosed) {
  HttpServerOptions options;
  options.idle_timeout = 1s;
  options.header_timeout = 1s;
  start(options);
  const auto start_time = std::chrono::steady_clock::now();
  Client idle(server_->port());
  EXPECT_TRUE(idle.wait_closed());
  Client slow(server_->port());
  slow.send("GET /x HTTP/1.1\r\nHo");  // and never the rest
  EXPECT_TRUE(slow.wait_closed());
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, 4s);
}

// ---- 8. Retry-After, Allow, HEAD, absolute-form targets.

TEST_F(HttpFramingTest, Every503CarriesRetryAfter) {
  start_with(std::nullopt);
  const auto [reply, closed] = exchange("GET /health HTTP/1.1\r\nHost: t\r\nX-Reply: 503\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << reply;
  EXPECT_NE(reply.find("Retry-After: 1\r\n"), std::string::npos) << reply;
}

TEST_F(HttpFramingTest, WrongMethodIs405WithAllow) {
  start_with(std::nullopt);
  const auto [reply, closed] = exchange("GET /v1/completions HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("Allow: POST\r\n"), std::string::npos) << reply;
  const auto [models, models_closed] = exchange("DELETE /v1/models HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_NE(models.find("Allow: GET, HEAD\r\n"), std::string::npos) << models;
}

TEST_F(HttpFramingTest, HeadIsAnsweredLikeGetWithoutTheBody) {
  start_with(std::nullopt);
  Client c(server_->port());
  c.send("HEAD /version HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string head = c.read_until("\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Length: 13\r\n"), std::string::npos) << head;  // "GET /version "
  // No body follows: the next reply starts right after the header.
  c.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string both = c.read_until("GET /health ");
  EXPECT_NE(both.find("\r\n\r\nHTTP/1.1 200 OK\r\n"), std::string::npos) << both;
  EXPECT_EQ(both.find("GET /version"), std::string::npos) << both;
}

TEST_F(HttpFramingTest, AbsoluteFormTargetsAreRoutedByTheirPath) {
  start_with(std::nullopt);
  const auto [reply, closed] =
      exchange("GET http://localhost:8000/version?x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find("GET /version "), std::string::npos) << reply;
}

TEST(HttpRequestPolicyTest, OriginForm) {
  EXPECT_EQ(origin_form("/v1/models?a=b"), "/v1/models?a=b");
  EXPECT_EQ(origin_form("http://h:1/v1/models?a=b"), "/v1/models?a=b");
  EXPECT_EQ(origin_form("HTTPS://h"), "/");
  EXPECT_EQ(origin_form("http://h?q=1"), "/?q=1");
  EXPECT_EQ(origin_form("*"), "*");
  EXPECT_TRUE(is_json_media_type("application/json"));
  EXPECT_TRUE(is_json_media_type(" application/JSON ; charset=utf-8"));
  EXPECT_FALSE(is_json_media_type("application/json-seq"));
  EXPECT_FALSE(is_json_media_type(""));
}

}  // namespace
}  // namespace turbine::server

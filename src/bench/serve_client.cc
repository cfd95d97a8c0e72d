// The one translation unit of src/bench that compiles Boost.Beast and Boost.Asio.
#include "bench/serve_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <numeric>
#include <vector>

#include "bench/sse_parser.h"
#include "common/error.h"

namespace turbine::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string HttpEndpoint::url() const { return fmt::format("http://{}:{}{}", host, port, path_prefix); }

HttpEndpoint parse_base_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://"))
    fail("--base-url {}: https is not supported; point the benchmark at the server's plain HTTP address", url);
  if (!url.starts_with(kScheme)) fail("--base-url must look like http://HOST:PORT, got \"{}\"", url);
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpEndpoint e;
  if (slash != std::string_view::npos) {
    e.path_prefix = std::string(rest.substr(slash));
    while (!e.path_prefix.empty() && e.path_prefix.back() == '/') e.path_prefix.pop_back();
  }
  if (authority.starts_with('[')) {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) fail("--base-url {}: unterminated IPv6 address", url);
    e.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') fail("--base-url {}: junk after the IPv6 address", url);
  } else {
    const size_t colon = authority.find(':');
    e.host = std::string(authority.substr(0, colon));
    authority.remove_prefix(colon == std::string_view::npos ? authority.size() : colon);
  }
  if (!authority.empty()) {  // ":PORT"
    e.port = std::string(authority.substr(1));
    const bool digits = !e.port.empty() && e.port.size() <= 5 &&
                        std::all_of(e.port.begin(), e.port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(e.port) > 65535) fail("--base-url {}: bad port \"{}\"", url, e.port);
  }
  if (e.host.empty()) fail("--base-url {}: no host", url);
  return e;
}

namespace {

// A response other than 200: its status and the error message of its body.
std::string http_error(unsigned status, std::string_view reason, const std::string& body) {
  std::string message;
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    message = e.is_object() && e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>()
                                                                                 : e.dump();
  } else {
    message = body.substr(0, 300);
  }
  return fmt::format("HTTP {} {}: {}", status, reason, message);
}

class Runner;

// One request, from the connection to the end of its response. Its handlers all run on the
// runner's single thread.
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(Runner& runner, size_t index);
  void start();

 private:
  void connect();
  void write();
  void read_header();
  void read_body();
  bool retry_on_fresh_connection(beast::error_code ec);
  void done();
  void failed(std::string error);
  void arm_timer();

  Runner& runner_;
  size_t index_;
  std::unique_ptr<beast::tcp_stream> stream_;
  bool reused_ = false;   // the connection came from the pool
  bool retried_ = false;  // already retried once on a fresh connection
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  std::array<char, 16384> body_buffer_{};
  unsigned status_ = 0;
  std::string error_body_;
  SseParser sse_;
  std::vector<std::string> events_;
};

class Runner {
 public:
  Runner(const ClientOptions& options, std::span<const std::string> bodies, std::span<const double> send_times,
         std::span<ResponseObserver* const> observers, const std::function<void(size_t)>& on_finished)
      : options(options), bodies(bodies), send_times(send_times), observers(observers), on_finished(on_finished),
        timer_(ioc) {}

  double run() {
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    endpoints = resolver.resolve(options.endpoint.host, options.endpoint.port, ec);
    if (ec) fail("cannot resolve {}: {}", options.endpoint.host, ec.message());
    order_.resize(bodies.size());
    std::iota(order_.begin(), order_.end(), size_t(0));
    std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) { return send_times[a] < send_times[b]; });
    start = Clock::now();
    end_ = start;
    dispatch_due();
    ioc.run();
    return seconds(end_);
  }

  double seconds(Clock::time_point t) const { return std::chrono::duration<double>(t - start).count(); }
  double now() const { return seconds(Clock::now()); }

  void call_finished(size_t index, std::unique_ptr<beast::tcp_stream> reusable) {
    if (reusable) idle_.push_back(std::move(reusable));
    --in_flight_;
    if (on_finished) on_finished(index);
    if (++finished_ == bodies.size()) {
      end_ = Clock::now();
      timer_.cancel();
      idle_.clear();  // nothing left to send: close the pool so ioc.run() can return
      return;
    }
    if (!waiting_.empty()) {
      const size_t next = waiting_.front();
      waiting_.pop_front();
      launch(next);
    }
  }

  std::unique_ptr<beast::tcp_stream> take_idle() {
    if (idle_.empty()) return nullptr;
    auto s = std::move(idle_.back());
    idle_.pop_back();
    return s;
  }

  const ClientOptions& options;
  std::span<const std::string> bodies;
  std::span<const double> send_times;
  std::span<ResponseObserver* const> observers;
  const std::function<void(size_t)>& on_finished;
  net::io_context ioc{1};
  tcp::resolver::results_type endpoints;
  Clock::time_point start;

 private:
  // Sends every request whose time has come, then sleeps until the next one's.
  void dispatch_due() {
    while (next_ < order_.size() && send_times[order_[next_]] <= now()) {
      const size_t i = order_[next_++];
      if (options.max_concurrency > 0 && in_flight_ >= options.max_concurrency) {
        waiting_.push_back(i);
      } else {
        launch(i);
      }
    }
    if (next_ == order_.size()) return;
    timer_.expires_at(start + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(send_times[order_[next_]])));
    timer_.async_wait([this](beast::error_code ec) {
      if (!ec) dispatch_due();
    });
  }

  void launch(size_t i) {
    ++in_flight_;
    std::make_shared<Call>(*this, i)->start();
  }

  net::steady_timer timer_;
  std::vector<size_t> order_;  // request indices by send time
  size_t next_ = 0;
  std::deque<size_t> waiting_;  // due, but over --max-concurrency
  int in_flight_ = 0;
  size_t finished_ = 0;
  Clock::time_point end_;
  std::vector<std::unique_ptr<beast::tcp_stream>> idle_;
};

Call::Call(Runner& runner, size_t index) : runner_(runner), index_(index) {
  const ClientOptions& o = runner.options;
  request_.method(http::verb::post);
  request_.target(o.endpoint.path_prefix + o.path);
  request_.version(11);
  request_.set(http::field::host, o.endpoint.host + ":" + o.endpoint.port);
  request_.set(http::field::user_agent, "turbine-bench");
  request_.set(http::field::content_type, "application/json");
  if (o.api_key) request_.set(http::field::authorization, "Bearer " + *o.api_key);
  request_.keep_alive(true);
  request_.body() = runner.bodies[index];
  request_.prepare_payload();
}

void Call::start() {
  runner_.observers[index_]->on_start(runner_.now());
  stream_ = runner_.take_idle();
  reused_ = stream_ != nullptr;
  if (stream_) {
    write();
  } else {
    connect();
  }
}

void Call::arm_timer() {
  stream_->expires_after(std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(runner_.options.request_timeout_s)));
}

void Call::connect() {
  stream_ = std::make_unique<beast::tcp_stream>(runner_.ioc);
  arm_timer();
  stream_->async_connect(runner_.endpoints, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
    if (ec) {
      const HttpEndpoint& e = self->runner_.options.endpoint;
      return self->failed(fmt::format("cannot connect to {}:{}: {}", e.host, e.port, ec.message()));
    }
    self->stream_->socket().set_option(tcp::no_delay(true), ec);
    self->write();
  });
}

void Call::write() {
  arm_timer();
  http::async_write(*stream_, request_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) {
      if (self->retry_on_fresh_connection(ec)) return;
      return self->failed(fmt::format("sending the request: {}", ec.message()));
    }
    self->read_header();
  });
}

void Call::read_header() {
  parser_.emplace();
  parser_->body_limit(boost::none);  // a long stream is fine
  arm_timer();
  http::async_read_header(*stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) {
      if (self->retry_on_fresh_connection(ec)) return;
      return self->failed(ec == beast::error::timeout
                              ? fmt::format("no response within {} s", self->runner_.options.request_timeout_s)
                              : fmt::format("reading the response: {}", ec.message()));
    }
    self->status_ = self->parser_->get().result_int();
    self->read_body();
  });
}

// A pooled connection that the server has closed in the meantime fails before any response byte:
// the request never reached the server, so it is sent once more on a new connection.
bool Call::retry_on_fresh_connection(beast::error_code ec) {
  if (!reused_ || retried_ || ec == beast::error::timeout) return false;
  retried_ = true;
  reused_ = false;
  buffer_.clear();
  connect();
  return true;
}

void Call::read_body() {
  if (parser_->is_done()) return done();
  parser_->get().body().data = body_buffer_.data();
  parser_->get().body().size = body_buffer_.size();
  arm_timer();
  http::async_read_some(*stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
    const double t = self->runner_.now();
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      return self->failed(ec == beast::error::timeout
                              ? fmt::format("no data for {} s", self->runner_.options.request_timeout_s)
                              : fmt::format("reading the response: {}", ec.message()));
    }
    const size_t n = self->body_buffer_.size() - self->parser_->get().body().size;
    const std::string_view bytes(self->body_buffer_.data(), n);
    if (self->status_ == 200) {
      self->events_.clear();
      self->sse_.feed(bytes, self->events_);
      for (const std::string& event : self->events_) self->runner_.observers[self->index_]->on_event(event, t);
    } else if (self->error_body_.size() < 4096) {
      self->error_body_.append(bytes);
    }
    self->read_body();
  });
}

void Call::done() {
  ResponseObserver& observer = *runner_.observers[index_];
  const double t = runner_.now();
  if (status_ == 200) {
    events_.clear();
    sse_.finish(events_);
    for (const std::string& event : events_) observer.on_event(event, t);
    observer.on_complete(t);
  } else {
    observer.on_failure(http_error(status_, parser_->get().reason(), error_body_), t);
  }
  const bool keep = parser_->keep_alive();
  stream_->expires_never();
  runner_.call_finished(index_, keep ? std::move(stream_) : nullptr);
}

void Call::failed(std::string error) {
  runner_.observers[index_]->on_failure(std::move(error), runner_.now());
  if (stream_) {
    beast::error_code ignored;
    stream_->socket().close(ignored);
  }
  runner_.call_finished(index_, nullptr);
}

// Every request may hold a connection: lift the soft limit on open files to the hard one.
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

double run_streaming_requests(const ClientOptions& options, std::span<const std::string> bodies,
                              std::span<const double> send_times, std::span<ResponseObserver* const> observers,
                              const std::function<void(size_t)>& on_finished) {
  TURBINE_CHECK(bodies.size() == send_times.size() && bodies.size() == observers.size());
  if (bodies.empty()) return 0.0;
  raise_open_file_limit();
  Runner runner(options, bodies, send_times, observers, on_finished);
  return runner.run();
}

}  // namespace turbine::bench

// The one translation unit that compiles Boost.Beast and Boost.Asio.
#include "server/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/error.h"
#include "server/api_error.h"
#include "server/http_request_framing.h"

namespace turbine::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace http_detail {

// After an early error reply (413, 400), what the client still sends is read and dropped for a
// while before closing: closing with unread data makes the kernel send a reset, which can destroy
// the reply before the client reads it.
constexpr auto kLingerTime = std::chrono::seconds(5);
constexpr size_t kMaxLingerBytes = size_t(64) << 20;

// Clients beyond max_connections: at most this many get their 503 at once, the rest are closed
// unanswered (each one holds a descriptor until its reply is out).
constexpr size_t kMaxRejectsInFlight = 64;
constexpr auto kRejectTime = std::chrono::seconds(2);
constexpr auto kAcceptLogInterval = std::chrono::seconds(5);

class Connection;

// Logs failed accepts (e.g. out of descriptors, retried every 100 ms) once per interval with a
// count, not ten times a second.
class AcceptFailureLog {
 public:
  void failed(const beast::error_code& ec, size_t open_connections) {
    ++failures_;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < kAcceptLogInterval) return;
    spdlog::warn("accepting a connection failed: {} ({} time(s) since the last report; {} connections open)",
                 ec.message(), failures_, open_connections);
    failures_ = 0;
    last_ = now;
  }

 private:
  std::chrono::steady_clock::time_point last_{};
  size_t failures_ = 0;
};

}  // namespace http_detail

struct HttpServer::Impl {
  Impl(const HttpServerOptions& options, HttpHandler& handler);
  void do_accept();
  std::vector<std::shared_ptr<http_detail::Connection>> live_connections();
  void reject(tcp::socket socket);

  HttpServerOptions options;
  HttpHandler& handler;
  std::atomic<size_t> open_connections{0};
  std::atomic<size_t> rejects_in_flight{0};
  size_t max_connections = 0;
  http_detail::AcceptFailureLog accept_failures;  // on the acceptor's strand
  std::mutex connections_mutex;
  std::vector<std::weak_ptr<http_detail::Connection>> connections;
  std::atomic<bool> draining{false};
  bool stopped = false;
  // Declared after what handlers may touch and before what uses it: destroyed first, with the
  // pending handlers (and the connections they hold).
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor;  // on its own strand: accepting and closing never race
  net::steady_timer accept_retry;
  std::vector<std::thread> threads;
  int port = 0;
};

namespace http_detail {

// One TCP connection: reads requests one at a time and writes their responses. Every member
// function below runs on the connection's strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {
    ++server_.open_connections;
    beast::error_code ec;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = fmt::format("{}:{}", peer.address().to_string(), peer.port());
  }
  ~Connection() { --server_.open_connections; }

  template <typename Fn>
  void on_strand(Fn&& fn) {
    net::post(stream_.get_executor(), std::forward<Fn>(fn));
  }

  void start() {
    on_strand([self = shared_from_this()] { self->read_header(); });
  }

  // ---- The strand side of HttpExchange; `seq` names the request a call belongs to.

  void send(uint64_t seq, HttpResponse response, std::function<void(bool)> on_sent = {}) {
    if (seq != seq_ || phase_ != Phase::kHandling) return complete(std::move(on_sent), false);
    phase_ = Phase::kResponding;
    auto message = std::make_unique<http::response<http::string_body>>();
    message->version(11);
    message->result(unsigned(response.status));
    message->set(http::field::server, "turbine");
    message->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) message->set(name, value);
    add_response_headers(*message, response.status);
    message->body() = std::move(response.body);
    message->prepare_payload();
    stream_.expires_after(server_.options.write_timeout);
    auto on_done = [self = shared_from_this(), on_sent = std::move(on_sent)](beast::error_code ec, size_t) mutable {
      self->whole_.reset();
      self->head_.reset();
      self->stream_.expires_never();
      self->complete(std::move(on_sent), !ec);
      if (ec) return self->close();
      self->finish_response();
    };
    if (head_request_) {  // the GET reply's header, Content-Length included, without the body
      head_ = std::make_unique<http::response<http::empty_body>>(std::move(message->base()));
      http::async_write(stream_, *head_, std::move(on_done));
    } else {
      whole_ = std::move(message);
      http::async_write(stream_, *whole_, std::move(on_done));
    }
  }

  void start_stream(uint64_t seq, int status, std::string content_type) {
    if (seq != seq_ || phase_ != Phase::kHandling) return;
    phase_ = Phase::kStreaming;
    // HTTP/1.0 has no chunked coding: the body goes as it is and ends when the connection closes.
    unframed_stream_ = request_version_ < 11;
    head_ = std::make_unique<http::response<http::empty_body>>();
    head_->version(11);
    head_->result(unsigned(status));
    head_->set(http::field::server, "turbine");
    head_->set(http::field::content_type, content_type);
    head_->set(http::field::cache_control, "no-cache");
    add_response_headers(*head_, status);
    if (!unframed_stream_) head_->chunked(true);
    head_serializer_ = std::make_unique<http::response_serializer<http::empty_body>>(*head_);
    outbox_.push_back(Outgoing{Outgoing::kHead, {}, {}});
    pump();
  }

  void write(uint64_t seq, std::string data, std::function<void(bool)> done) {
    if (seq != seq_ || phase_ != Phase::kStreaming || end_queued_) {
      complete(std::move(done), false);
      return;
    }
    outbox_.push_back(Outgoing{Outgoing::kChunk, std::move(data), std::move(done)});
    pump();
  }

  void end_stream(uint64_t seq, std::function<void(bool)> on_done) {
    if (seq != seq_ || phase_ != Phase::kStreaming || end_queued_) return complete(std::move(on_done), false);
    end_queued_ = true;
    outbox_.push_back(Outgoing{Outgoing::kLast, {}, std::move(on_done)});
    pump();
  }

  void set_disconnect_handler(uint64_t seq, std::function<void()> handler) {
    if (seq != seq_) return;  // that response is complete
    if (phase_ == Phase::kClosed || peer_eof_) {
      if (response_pending_ && handler) {
        net::post(server_.ioc, std::move(handler));  // already gone
        close();  // the handler gives up its reply (see on_peer_eof)
      }
      return;
    }
    on_disconnect_ = std::move(handler);
  }

  // Shutdown: close a connection that waits for its next request; leave busy ones alone (they
  // close after their response, since the server is draining).
  void close_if_idle() {
    if (phase_ == Phase::kReading && buffer_.size() == 0 && (!parser_ || !parser_->got_some())) close();
  }

  void close() {
    const auto keep = std::move(pending_self_);  // released when this returns
    if (phase_ != Phase::kClosed) {
      if (response_pending_ && on_disconnect_) net::post(server_.ioc, std::move(on_disconnect_));
      on_disconnect_ = nullptr;
      phase_ = Phase::kClosed;
      watching_ = false;
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.close();
    }
    if (!writing_) fail_outbox();
  }

 private:
  enum class Phase { kReading, kHandling, kResponding, kStreaming, kLingering, kClosed };

  struct Outgoing {
    enum Kind { kHead, kChunk, kLast } kind;
    std::string data;
    std::function<void(bool)> done;
  };

  bool keep_alive() const {
    return keep_alive_ && !linger_ && !peer_eof_ && !unframed_stream_ && !server_.draining;
  }

  // What every response carries besides its own headers: Retry-After on a 503, Allow on a 405,
  // the CORS headers for an allowed origin, and the connection's fate.
  template <typename Body>
  void add_response_headers(http::response<Body>& message, int status) {
    if (status == 503 && message.find(http::field::retry_after) == message.end())
      message.set(http::field::retry_after, "1");
    if (status == 405 && message.find(http::field::allow) == message.end()) {
      const std::string allowed = server_.options.policy.allowed_methods(request_path_);
      if (!allowed.empty()) message.set(http::field::allow, allowed);
    }
    for (const auto& [name, value] : cors_headers_) message.set(name, value);
    if (request_version_ >= 11) {
      message.keep_alive(keep_alive());  // HTTP/1.1 keeps alive unless "Connection: close"
    } else {
      message.set(http::field::connection, keep_alive() ? "keep-alive" : "close");  // 1.0: say it
    }
  }

  void complete(std::function<void(bool)> done, bool ok) {
    if (done) net::post(server_.ioc, [done = std::move(done), ok] { done(ok); });
  }

  // ---- Reading a request: its first byte (idle timeout), its header (header timeout), the
  // policy's verdict, then its body (body timeout).

  void read_header() {
    phase_ = Phase::kReading;
    parser_.emplace();
    http_framing::configure(*parser_, server_.options.body_limit);
    head_request_ = false;
    cors_headers_.clear();
    request_version_ = 11;
    request_path_.clear();
    if (buffer_.size() > 0) return read_rest_of_header();  // pipelined
    stream_.expires_after(server_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->close();  // the client left, or sent nothing in time
      self->read_rest_of_header();
    });
  }

  void read_rest_of_header() {
    stream_.expires_after(server_.options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    request_version_ = parser_->get().version() < 11 ? 10 : 11;
    keep_alive_ = parser_->get().keep_alive();
    if (auto error = http_framing::check_header(*parser_)) return reply_early(error->response(), true, error->message);
    request_head_ = http_framing::request_head(*parser_);
    request_path_ = request_head_.path;
    cors_headers_ = cors_response_headers(server_.options.policy, request_head_.header("origin"));
    HeadVerdict verdict = screen_request_head(request_head_, server_.options.policy);
    if (verdict.response) {
      std::string what = fmt::format("{} {}", request_head_.method, request_head_.path);
      return reply_early(std::move(*verdict.response), verdict.close, std::move(what));
    }
    head_request_ = verdict.head_as_get;
    if (!parser_->is_done() && beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue), [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(server_.options.body_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->on_read_error(ec);
      self->stream_.expires_never();
      self->dispatch_request();
    });
  }

  void on_read_error(beast::error_code ec) {
    if (auto error = http_framing::read_error_reply(ec, server_.options.body_limit))
      return reply_early(error->response(), true, error->message);
    close();  // end of stream, reset, timeout: nothing to answer
  }

  // Answers a request the handler never sees (a framing error, or the policy's verdict on the
  // header), before its body is read. `close`: the body, if any, is unread (or the framing is
  // broken), so the connection closes after the reply, draining what the client still sends.
  void reply_early(HttpResponse response, bool close, std::string what) {
    if (close) {
      linger_ = true;
      keep_alive_ = false;
    }
    ++seq_;
    phase_ = Phase::kHandling;
    response_pending_ = false;  // nobody waits for this one
    head_request_ = false;
    // Never reaches a handler, so the HTTP layer writes its access-log line itself.
    if (server_.options.access_log) spdlog::info("- - {} client={} ({})", response.status, remote_, what);
    send(seq_, std::move(response));
  }

  void dispatch_request();  // defined after ExchangeImpl

  // ---- Noticing a client that leaves while its response is pending.

  void watch_for_disconnect() {
    watching_ = true;
    stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this(), seq = seq_](beast::error_code ec) {
      self->on_readable(ec, seq);
    });
    // A close that came before the wait was registered left no edge for it to see: check now
    // (after registering, so a close from here on wakes the wait).
    switch (peek()) {
      case PeerState::kEndOfStream: return on_peer_eof();
      case PeerState::kFailed: return close();
      default: return;
    }
  }

  enum class PeerState { kQuiet, kSentMore, kEndOfStream, kFailed };

  // What the client did since its request, without reading or blocking.
  PeerState peek() {
    char byte = 0;
    const ssize_t n = ::recv(stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return PeerState::kSentMore;
    if (n == 0) return PeerState::kEndOfStream;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return PeerState::kQuiet;
    return PeerState::kFailed;
  }

  void on_readable(beast::error_code ec, uint64_t seq) {
    if (seq != seq_ || !watching_ || phase_ == Phase::kClosed) return;  // stale or cancelled
    watching_ = false;
    if (ec == net::error::operation_aborted) return;
    // Epoll is edge-triggered: an event left over from the request's own bytes can wake this wait
    // with nothing to read, so the wake-up alone proves nothing.
    switch (ec ? PeerState::kFailed : peek()) {
      case PeerState::kQuiet: return watch_for_disconnect();
      case PeerState::kSentMore: return;  // a pipelined request: read after this response
      case PeerState::kEndOfStream: return on_peer_eof();
      case PeerState::kFailed: return close();
    }
  }

  // The client sent its end of stream. A closed socket and a half-closed one look the same until
  // a write fails. A response whose handler set a disconnect handler (a generation) is given up:
  // the handler runs (its work stops, as Go's net/http cancels the request's context) and the
  // connection closes, since that handler may never finish its reply and the descriptor would
  // wait for it forever. Any other reply (a quick route's, or one sent later from another
  // thread) still goes out to a half-closed client, then the connection closes.
  void on_peer_eof() {
    peer_eof_ = true;
    watching_ = false;
    const bool given_up = response_pending_ && on_disconnect_;
    if (given_up) net::post(server_.ioc, std::move(on_disconnect_));
    on_disconnect_ = nullptr;
    if (given_up) close();
  }

  // ---- Writing a streamed response, one piece at a time.

  void pump() {
    if (writing_ || outbox_.empty() || phase_ == Phase::kClosed) return;
    Outgoing& out = outbox_.front();
    const bool no_bytes = out.kind != Outgoing::kHead &&
                          (head_request_ || (out.kind == Outgoing::kChunk && out.data.empty()) ||
                           (out.kind == Outgoing::kLast && unframed_stream_));
    if (no_bytes) {  // a HEAD reply's body, an empty chunk (it would end the body), an unframed end
      complete(std::move(out.done), true);
      const bool last = out.kind == Outgoing::kLast;
      outbox_.pop_front();
      if (last) return end_of_stream();
      return pump();
    }
    writing_ = true;
    stream_.expires_after(server_.options.write_timeout);
    auto handler = [self = shared_from_this()](beast::error_code ec, size_t) { self->on_written(ec); };
    switch (out.kind) {
      case Outgoing::kHead: http::async_write_header(stream_, *head_serializer_, std::move(handler)); break;
      case Outgoing::kChunk:
        if (unframed_stream_) {
          net::async_write(stream_, net::buffer(out.data), std::move(handler));
        } else {
          net::async_write(stream_, http::make_chunk(net::buffer(out.data)), std::move(handler));
        }
        break;
      case Outgoing::kLast: net::async_write(stream_, http::make_chunk_last(), std::move(handler)); break;
    }
  }

  void on_written(beast::error_code ec) {
    writing_ = false;
    stream_.expires_never();
    Outgoing out = std::move(outbox_.front());
    outbox_.pop_front();
    complete(std::move(out.done), !ec);
    if (ec) return close();
    if (out.kind == Outgoing::kLast) return end_of_stream();
    pump();
  }

  void end_of_stream() {
    head_serializer_.reset();
    head_.reset();
    end_queued_ = false;
    finish_response();
  }

  void fail_outbox() {
    for (Outgoing& out : outbox_) complete(std::move(out.done), false);
    outbox_.clear();
  }

  // ---- After a response.

  void finish_response() {
    const auto keep = std::move(pending_self_);  // released when this returns
    response_pending_ = false;
    on_disconnect_ = nullptr;
    if (watching_) {
      watching_ = false;
      beast::error_code ec;
      stream_.socket().cancel(ec);
    }
    if (linger_) return linger();
    if (!keep_alive()) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return close();
    }
    read_header();
  }

  void linger() {
    phase_ = Phase::kLingering;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLingerTime);
    drain_input();
  }

  void drain_input() {
    if (!scratch_) scratch_ = std::make_unique<std::array<char, 16384>>();
    stream_.async_read_some(net::buffer(*scratch_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->lingered_bytes_ += n;
      if (ec || self->lingered_bytes_ > kMaxLingerBytes) return self->close();
      self->drain_input();
    });
  }

  class ExchangeImpl;

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http_framing::RequestParser> parser_;
  HttpRequestHead request_head_;  // of the request being read or answered
  std::string request_path_;      // for a 405's Allow
  int request_version_ = 11;
  bool head_request_ = false;     // a HEAD: reply without the body
  std::vector<std::pair<std::string, std::string>> cors_headers_;
  Phase phase_ = Phase::kReading;
  uint64_t seq_ = 0;
  bool keep_alive_ = true;
  bool linger_ = false;
  bool peer_eof_ = false;          // the client will send nothing more: close after this reply
  bool unframed_stream_ = false;   // an HTTP/1.0 stream: no chunks, ends by closing
  bool response_pending_ = false;  // a handler owes the client a response
  // While a response is pending, no I/O of ours may be in flight (the exchanges hold weak
  // references): the connection holds itself until the response is out or it closes.
  std::shared_ptr<Connection> pending_self_;
  bool watching_ = false;
  std::function<void()> on_disconnect_;
  std::unique_ptr<http::response<http::string_body>> whole_;
  std::unique_ptr<http::response<http::empty_body>> head_;
  std::unique_ptr<http::response_serializer<http::empty_body>> head_serializer_;
  std::deque<Outgoing> outbox_;  // deque: push_back keeps the front (being written) in place
  bool writing_ = false;
  bool end_queued_ = false;
  std::unique_ptr<std::array<char, 16384>> scratch_;  // only while lingering
  size_t lingered_bytes_ = 0;
};

// HttpExchange for one request: forwards each call onto the connection's strand.
class Connection::ExchangeImpl final : public HttpExchange {
 public:
  ExchangeImpl(std::weak_ptr<Connection> connection, uint64_t seq, net::io_context::executor_type io)
      : connection_(std::move(connection)), seq_(seq), io_(io) {}

  void send(HttpResponse response, std::function<void(bool)> on_sent) override {
    if (auto c = connection_.lock()) {
      c->on_strand([c, seq = seq_, response = std::move(response), on_sent = std::move(on_sent)]() mutable {
        c->send(seq, std::move(response), std::move(on_sent));
      });
    } else {
      fail_later(std::move(on_sent));
    }
  }
  void start_stream(int status, std::string content_type) override {
    if (auto c = connection_.lock())
      c->on_strand([c, seq = seq_, status, content_type = std::move(content_type)]() mutable {
        c->start_stream(seq, status, std::move(content_type));
      });
  }
  void write(std::string data, std::function<void(bool)> on_written) override {
    if (auto c = connection_.lock()) {
      c->on_strand([c, seq = seq_, data = std::move(data), on_written = std::move(on_written)]() mutable {
        c->write(seq, std::move(data), std::move(on_written));
      });
    } else {
      fail_later(std::move(on_written));
    }
  }
  void end_stream(std::function<void(bool)> on_done) override {
    if (auto c = connection_.lock()) {
      c->on_strand([c, seq = seq_, on_done = std::move(on_done)]() mutable { c->end_stream(seq, std::move(on_done)); });
    } else {
      fail_later(std::move(on_done));
    }
  }
  void set_disconnect_handler(std::function<void()> handler) override {
    if (auto c = connection_.lock()) {
      c->on_strand([c, seq = seq_, handler = std::move(handler)]() mutable {
        c->set_disconnect_handler(seq, std::move(handler));
      });
    } else if (handler) {
      net::post(io_, std::move(handler));  // the connection is gone already
    }
  }
  void post(std::function<void()> task) override { net::post(io_, std::move(task)); }

 private:
  void fail_later(std::function<void(bool)> callback) {
    if (callback) net::post(io_, [callback = std::move(callback)] { callback(false); });
  }

  std::weak_ptr<Connection> connection_;
  uint64_t seq_;
  net::io_context::executor_type io_;
};

void Connection::dispatch_request() {
  HttpRequest request = http_framing::to_request(parser_->release(), request_head_, head_request_);
  ++seq_;
  phase_ = Phase::kHandling;
  response_pending_ = true;
  pending_self_ = shared_from_this();
  request.remote_address = remote_;
  watch_for_disconnect();
  auto exchange = std::make_shared<ExchangeImpl>(weak_from_this(), seq_, server_.ioc.get_executor());
  try {
    server_.handler.handle(std::move(request), std::move(exchange));
  } catch (const std::exception& e) {
    spdlog::error("request handler failed: {}", e.what());
    const ApiError error(500, "internal server error", {}, "internal_error");
    send(seq_, HttpResponse{500, "application/json", error.to_json(), {}});
  }
}

// A client beyond max_connections: a fast 503 without reading its request, then closed after
// draining briefly what it still sends (closing on unread data would reset the reply away).
class RejectedConnection : public std::enable_shared_from_this<RejectedConnection> {
 public:
  RejectedConnection(tcp::socket socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {
    ++server_.rejects_in_flight;
  }
  ~RejectedConnection() { --server_.rejects_in_flight; }

  net::any_io_executor executor() { return stream_.get_executor(); }

  void start() {
    static const std::string kReply = [] {
      const std::string body = ApiError(503, "the server has too many open connections; retry shortly", {},
                                        "too_many_connections")
                                   .to_json();
      return fmt::format(
          "HTTP/1.1 503 Service Unavailable\r\nServer: turbine\r\nContent-Type: application/json\r\n"
          "Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
          body.size(), body);
    }();
    stream_.expires_after(kRejectTime);
    net::async_write(stream_, net::buffer(kReply), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      beast::error_code shutdown_ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, shutdown_ec);
      self->drain();
    });
  }

 private:
  void drain() {
    stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (!ec) self->drain();
    });
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  std::array<char, 4096> scratch_{};
};

}  // namespace http_detail

using http_detail::Connection;
using http_detail::RejectedConnection;

size_t default_max_connections() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 10000;
  const size_t descriptors = size_t(limit.rlim_cur);
  const size_t headroom = std::max<size_t>(128, descriptors / 8);  // model files, logs, 503s
  return descriptors > headroom + 16 ? descriptors - headroom : 16;
}

HttpServer::Impl::Impl(const HttpServerOptions& options_, HttpHandler& handler_)
    : options(options_), handler(handler_), acceptor(net::make_strand(ioc)), accept_retry(acceptor.get_executor()) {
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(options.host, std::to_string(options.port), tcp::resolver::passive, ec);
  if (ec || results.empty()) fail("cannot resolve the host '{}': {}", options.host, ec.message());
  const tcp::endpoint endpoint = results.begin()->endpoint();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("cannot listen on {}:{}: {}", options.host, options.port, ec.message());
  port = acceptor.local_endpoint().port();
  max_connections = options.max_connections > 0 ? options.max_connections : default_max_connections();
}

void HttpServer::Impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (!acceptor.is_open()) return;
    if (ec) {
      // E.g. out of file descriptors: retry shortly instead of spinning.
      accept_failures.failed(ec, open_connections.load());
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && acceptor.is_open()) do_accept();
      });
      return;
    }
    if (open_connections.load() >= max_connections) {
      reject(std::move(socket));
      return do_accept();
    }
    beast::error_code option_ec;
    socket.set_option(tcp::no_delay(true), option_ec);  // SSE chunks are small and latency-bound
    auto connection = std::make_shared<Connection>(std::move(socket), *this);
    {
      std::lock_guard lock(connections_mutex);
      std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
      connections.push_back(connection);
    }
    connection->start();
    do_accept();
  });
}

void HttpServer::Impl::reject(tcp::socket socket) {
  if (rejects_in_flight.load() >= http_detail::kMaxRejectsInFlight) {
    beast::error_code ec;
    socket.close(ec);  // too many already waiting for their 503: no reply
    return;
  }
  auto rejected = std::make_shared<RejectedConnection>(std::move(socket), *this);
  net::dispatch(rejected->executor(), [rejected] { rejected->start(); });
}

std::vector<std::shared_ptr<Connection>> HttpServer::Impl::live_connections() {
  std::vector<std::shared_ptr<Connection>> live;
  std::lock_guard lock(connections_mutex);
  for (const auto& weak : connections)
    if (auto c = weak.lock()) live.push_back(std::move(c));
  return live;
}

HttpServer::HttpServer(const HttpServerOptions& options, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(options, handler)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::start() {
  Impl& s = *impl_;
  s.work.emplace(s.ioc.get_executor());
  net::post(s.acceptor.get_executor(), [&s] { s.do_accept(); });
  for (int i = 0; i < std::max(1, s.options.io_threads); ++i)
    s.threads.emplace_back([&s] {
      while (true) {
        try {
          s.ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("I/O thread: unexpected exception: {}", e.what());  // keep serving
        }
      }
    });
}

void HttpServer::stop_accepting() {
  Impl& s = *impl_;
  s.draining = true;
  net::post(s.acceptor.get_executor(), [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
    s.accept_retry.cancel();
  });
  for (auto& c : s.live_connections()) c->on_strand([c] { c->close_if_idle(); });
}

void HttpServer::stop() {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  stop_accepting();
  for (auto& c : s.live_connections()) c->on_strand([c] { c->close(); });
  s.work.reset();
  s.ioc.stop();
  for (std::thread& t : s.threads) t.join();
  s.threads.clear();
}

}  // namespace turbine::server

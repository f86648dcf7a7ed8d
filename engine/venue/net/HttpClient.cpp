#include "venue/net/HttpClient.hpp"

#include <algorithm>
#include <atomic>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "venue/net/StreamOpener.hpp"
#include "venue/net/TlsContext.hpp"

namespace kappa::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

const std::string* HttpReply::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (beast::iequals(key, beast::string_view(name.data(), name.size()))) return &value;
  return nullptr;
}

bool isSafeToResend(std::string_view method) { return method == "GET" || method == "HEAD"; }

// The pool as HttpClient sees it, whatever the stream type.
struct HttpClient::Pool {
  virtual ~Pool() = default;
  virtual void request(HttpRequest request, std::chrono::milliseconds timeout, std::function<void(HttpReply)> done) = 0;
  std::atomic<std::uint64_t> opened{0};
};

namespace {

// Large enough for any exchange's instrument list (Beast's own default for answers is 8 MB).
constexpr std::uint64_t kBodyLimit = 64u << 20;

// One TCP (+TLS) connection to the server, with what was read on it but not yet parsed.
template <class Stream>
struct Connection {
  Connection(asio::io_context& io, ssl::context* ctx) : resolver(io), stream(makeStream(io, ctx)) {}

  static Stream makeStream(asio::io_context& io, ssl::context* ctx) {
    if constexpr (std::is_same_v<Stream, TlsStream>)
      return Stream(io, *ctx);
    else
      return Stream(io);
  }
  tcp::socket& socket() { return beast::get_lowest_layer(stream).socket(); }

  // An idle HTTP connection has nothing to read: if the socket says end of stream (the server
  // closed it) or holds bytes nobody asked for (a TLS close alert, a stray answer), it is no
  // longer fit for a request. Asked without blocking and without consuming anything.
  bool looksAlive() {
    beast::error_code ec;
    socket().non_blocking(true, ec);
    if (ec) return false;
    char byte = 0;
    const std::size_t n = socket().receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    beast::error_code ignored;
    socket().non_blocking(false, ignored);  // async operations set what they need again
    return n == 0 && ec == asio::error::would_block;
  }

  void close() {
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  tcp::resolver resolver;
  Stream stream;
  beast::flat_buffer buffer;
  Clock::time_point idleSince{};
};

template <class Stream>
class StreamPool;

// One request and its answer: on an idle connection from the pool or a new one, with at most one
// resend on a fresh connection when the header's rules allow it.
template <class Stream>
class Exchange : public std::enable_shared_from_this<Exchange<Stream>> {
 public:
  Exchange(std::shared_ptr<StreamPool<Stream>> pool, http::request<http::string_body> req, Clock::time_point deadline,
           std::function<void(HttpReply)> done)
      : pool_(std::move(pool)), req_(std::move(req)), safe_(isSafeToResend(std::string_view(req_.method_string().data(), req_.method_string().size()))), deadline_(deadline),
        done_(std::move(done)) {}

  void start() {
    conn_ = pool_->takeIdle();
    if (!conn_) return open();
    reused_ = true;
    write();
  }

 private:
  void open() {
    reused_ = false;
    conn_ = pool_->fresh();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    auto self = this->shared_from_this();
    asyncOpen(conn_->resolver, conn_->stream, pool_->server(), std::max(left, std::chrono::milliseconds(1)),
              [self](std::string error) {
                if (!error.empty()) return self->fail(std::move(error), false);
                self->write();
              });
  }

  void write() {
    beast::get_lowest_layer(conn_->stream).expires_at(deadline_);
    auto self = this->shared_from_this();
    http::async_write(conn_->stream, req_, [self](beast::error_code ec, std::size_t written) {
      if (!ec) return self->read();
      // Nothing written: nothing can have reached the server, so a fresh connection may carry
      // it whatever it asks (a kept connection the server had closed, seen only now).
      if (written == 0 && self->reused_ && !self->resent_ && ec != beast::error::timeout) return self->resend();
      self->fail(ec == beast::error::timeout ? "no answer within the timeout" : "write failed: " + ec.message(), written > 0);
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    if (req_.method() == http::verb::head) parser_->skip(true);
    auto self = this->shared_from_this();
    http::async_read(conn_->stream, conn_->buffer, *parser_, [self](beast::error_code ec, std::size_t read) {
      if (!ec) return self->succeed();
      // The request went out on a kept connection and the server closed it without a byte of
      // answer: the race of a server closing an idle connection as a request arrives. Repeated
      // only when repeating cannot do anything twice; otherwise the outcome is the caller's to find.
      const bool nothingBack = read == 0 && self->conn_->buffer.size() == 0;
      if (ec != beast::error::timeout && nothingBack && self->reused_ && self->safe_ && !self->resent_) return self->resend();
      self->fail(ec == beast::error::timeout ? "no answer within the timeout" : "read failed: " + ec.message(), true);
    });
  }

  void resend() {
    resent_ = true;
    conn_->close();
    conn_.reset();
    open();
  }

  void succeed() {
    auto res = parser_->release();
    HttpReply r;
    r.status = int(res.result_int());
    r.sent = true;
    r.reused = reused_;
    for (const auto& field : res) r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    // Kept when the server keeps it (HTTP/1.1 without "Connection: close", a body of known
    // length) and nothing beyond the answer was read.
    const bool keep = !res.need_eof() && conn_->buffer.size() == 0;
    r.body = std::move(res.body());
    if (keep)
      pool_->giveBack(std::move(conn_));
    else
      conn_->close();
    deliver(std::move(r));
  }

  void fail(std::string error, bool sent) {
    if (conn_) conn_->close();
    HttpReply r;
    r.error = std::move(error);
    r.sent = sent;
    r.reused = reused_;
    deliver(std::move(r));
  }

  void deliver(HttpReply r) {
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(r));
  }

  std::shared_ptr<StreamPool<Stream>> pool_;
  http::request<http::string_body> req_;
  const bool safe_;
  const Clock::time_point deadline_;
  std::function<void(HttpReply)> done_;
  std::unique_ptr<Connection<Stream>> conn_;
  std::optional<http::response_parser<http::string_body>> parser_;
  bool reused_ = false, resent_ = false;
};

template <class Stream>
class StreamPool final : public HttpClient::Pool, public std::enable_shared_from_this<StreamPool<Stream>> {
 public:
  StreamPool(asio::io_context& io, Endpoint server, HttpClientOptions options, std::shared_ptr<ssl::context> ctx)
      : io_(io), server_(std::move(server)), options_(std::move(options)), ctx_(std::move(ctx)) {}

  ~StreamPool() override {
    for (auto& c : idle_) c->close();
  }

  void request(HttpRequest request, std::chrono::milliseconds timeout, std::function<void(HttpReply)> done) override {
    http::request<http::string_body> req;
    req.method_string(request.method);
    req.target(request.target);
    req.version(11);  // keep-alive unless the server says otherwise
    req.set(http::field::host, hostHeader(server_));
    req.set(http::field::user_agent, "kappa");
    for (auto& [name, value] : request.headers) req.set(name, value);
    req.body() = std::move(request.body);
    req.prepare_payload();
    auto x = std::make_shared<Exchange<Stream>>(this->shared_from_this(), std::move(req), Clock::now() + timeout, std::move(done));
    asio::dispatch(io_, [x] { x->start(); });
  }

  // The most recently used idle connection that is still fit, or null.
  std::unique_ptr<Connection<Stream>> takeIdle() {
    const auto now = Clock::now();
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (now - c->idleSince < options_.maxIdleTime && c->looksAlive()) return c;
      c->close();
    }
    return nullptr;
  }

  std::unique_ptr<Connection<Stream>> fresh() {
    ++opened;
    return std::make_unique<Connection<Stream>>(io_, ctx_.get());
  }

  void giveBack(std::unique_ptr<Connection<Stream>> c) {
    if (options_.maxIdleConnections == 0) return c->close();
    beast::get_lowest_layer(c->stream).expires_never();
    c->idleSince = Clock::now();
    if (idle_.size() >= options_.maxIdleConnections) {
      idle_.front()->close();
      idle_.erase(idle_.begin());
    }
    idle_.push_back(std::move(c));
  }

  const Endpoint& server() const { return server_; }

 private:
  asio::io_context& io_;
  Endpoint server_;
  HttpClientOptions options_;
  std::shared_ptr<ssl::context> ctx_;
  std::vector<std::unique_ptr<Connection<Stream>>> idle_;  // oldest first
};

// A client whose TLS settings could not be loaded: every request is answered with why.
class FailingPool final : public HttpClient::Pool {
 public:
  FailingPool(asio::io_context& io, std::string error) : io_(io), error_(std::move(error)) {}
  void request(HttpRequest, std::chrono::milliseconds, std::function<void(HttpReply)> done) override {
    HttpReply r;
    r.error = error_;
    asio::post(io_, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }

 private:
  asio::io_context& io_;
  std::string error_;
};

}  // namespace

HttpClient::HttpClient(asio::io_context& io, Endpoint server, HttpClientOptions options) : server_(std::move(server)) {
  if (!server_.tls) {
    pool_ = std::make_shared<StreamPool<beast::tcp_stream>>(io, server_, std::move(options), nullptr);
    return;
  }
  std::string error;
  auto ctx = makeTlsClientContext(options.caFile, error);
  if (!ctx)
    pool_ = std::make_shared<FailingPool>(io, std::move(error));
  else
    pool_ = std::make_shared<StreamPool<TlsStream>>(io, server_, std::move(options), std::move(ctx));
}

HttpClient::~HttpClient() = default;

void HttpClient::request(HttpRequest request, std::chrono::milliseconds timeout, std::function<void(HttpReply)> done) {
  pool_->request(std::move(request), timeout, std::move(done));
}

std::uint64_t HttpClient::connectionsOpened() const { return pool_->opened.load(); }

}  // namespace kappa::net

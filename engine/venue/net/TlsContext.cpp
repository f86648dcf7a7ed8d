#include "venue/net/TlsContext.hpp"

#include <boost/system/error_code.hpp>

namespace kappa::net {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> makeTlsClientContext(const std::string& caFile, std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);
  if (ec) {
    error = "TLS: cannot load the system CA store: " + ec.message();
    return nullptr;
  }
  if (!caFile.empty()) {
    ctx->load_verify_file(caFile, ec);
    if (ec) {
      error = "TLS: cannot load CA file " + caFile + ": " + ec.message();
      return nullptr;
    }
  }
  ctx->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  return ctx;
}

}  // namespace kappa::net

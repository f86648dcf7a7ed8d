#pragma once
// The TLS settings every connector's client connection uses: TLS 1.2 or newer, the server's
// certificate verified against the system CA store and, when given, one more CA file (a test
// server's own certificate). One context serves any number of connections.
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace kappa::net {

// The context, or null with `error` when the CA store or the CA file cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> makeTlsClientContext(const std::string& caFile, std::string& error);

}  // namespace kappa::net

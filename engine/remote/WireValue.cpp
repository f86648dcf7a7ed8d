#include "remote/WireValue.hpp"

namespace kappa::remote::wire {

namespace {

// nlohmann's DOM builder behind a guard: nesting deeper than kMaxDepth (its binary reader recurses
// once per level, so a few kilobytes of nested one-element arrays would overflow the stack) and
// container lengths larger than the whole message (each element takes at least one byte) stop the
// parse with a reason instead.
class GuardedBuilder {
 public:
  using dom = nlohmann::detail::json_sax_dom_parser<json>;
  GuardedBuilder(json& out, std::size_t messageBytes) : dom_(out, /*allow_exceptions*/ false), bytes_(messageBytes) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) { return dom_.number_float(v, s); }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return open(n, "map") && dom_.start_object(n); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool end_object() { return --depth_, dom_.end_object(); }
  bool start_array(std::size_t n) { return open(n, "array") && dom_.start_array(n); }
  bool end_array() { return --depth_, dom_.end_array(); }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& ex) {
    if (error_.empty()) error_ = ex.what();
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  bool open(std::size_t n, const char* what) {
    if (++depth_ > kMaxDepth) {
      error_ = "nested deeper than " + std::to_string(kMaxDepth) + " levels";
      return false;
    }
    if (n != std::size_t(-1) && n > bytes_) {
      error_ = std::string(what) + " of " + std::to_string(n) + " elements in a message of " + std::to_string(bytes_) + " bytes";
      return false;
    }
    return true;
  }

  dom dom_;
  std::size_t bytes_;
  std::size_t depth_ = 0;
  std::string error_;
};

}  // namespace

bool parseMessagePack(std::string_view bytes, json& out, std::string& error) {
  if (bytes.empty()) {
    error = "empty message";
    return false;
  }
  try {
    json parsed;
    GuardedBuilder builder(parsed, bytes.size());
    const auto* first = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const bool ok = json::sax_parse(first, first + bytes.size(), &builder, json::input_format_t::msgpack, /*strict*/ true);
    if (!ok || !builder.error().empty()) {
      error = builder.error().empty() ? "malformed MessagePack" : "malformed MessagePack: " + builder.error();
      return false;
    }
    out = std::move(parsed);
    return true;
  } catch (const std::exception& ex) {  // the builder's own limits (nlohmann throws on some)
    error = std::string("malformed MessagePack: ") + ex.what();
    return false;
  }
}

}  // namespace kappa::remote::wire

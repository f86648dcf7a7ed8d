#pragma once
// The remote codecs' one mapping between C++ values and MessagePack (through nlohmann::json), and
// the guarded parser every received message goes through. Internal to engine/remote: the public
// headers speak std::string bytes only, so nlohmann stays out of the rest of the program.
//
// A struct is a MessagePack array of its fields in declaration order (KAPPA_WIRE_STRUCT), not a map:
// the field names would be most of the bytes of a quote or an option's analytics. Evolving a struct
// means appending fields: a decoder fills the fields a shorter (older) array lacks with their
// defaults and ignores the extra elements of a longer (newer) one.
//
// Decoding is untrusted input. Every value is type- and range-checked (an enum against its last
// enumerator, an integer against its C++ type); the first problem throws a DecodeError whose path
// names the field ("quotes[12].bid: expected a number, got string"), caught at the codec's edge and
// returned as text. parseMessagePack bounds nesting depth (nlohmann's binary reader recurses) and
// refuses array/map/string lengths larger than the message itself.
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace kappa::remote::wire {

using json = nlohmann::json;

// Thrown while decoding; `path` grows as it unwinds through the fields and elements.
struct DecodeError {
  std::string path;
  std::string what;
  std::string message() const {
    if (path.empty()) return what;
    return (path[0] == '.' ? path.substr(1) : path) + ": " + what;  // "quotes[12].bid: ..."
  }
};

[[noreturn]] inline void fail(std::string what) { throw DecodeError{{}, std::move(what)}; }

inline std::string typeOf(const json& j) {
  if (j.is_number_float()) return "a float";
  if (j.is_number_unsigned()) return "an unsigned integer";
  if (j.is_number_integer()) return "a negative integer";
  return j.type_name();
}

// The memory decoded values may take, charged as vectors are sized: a message of one-byte empty
// elements must not become gigabytes of default-constructed structs. Legitimate parts decode to
// two to four times their encoded size. One budget per decode, on the decoding thread.
class DecodeBudget {
 public:
  explicit DecodeBudget(std::size_t bytes) : previous_(current_), left_(bytes) { current_ = this; }
  ~DecodeBudget() { current_ = previous_; }
  DecodeBudget(const DecodeBudget&) = delete;
  DecodeBudget& operator=(const DecodeBudget&) = delete;
  static void charge(std::size_t elements, std::size_t size) {
    if (!current_) return;
    const std::size_t bytes = elements * size;  // elements <= the message's size: no overflow
    if (bytes > current_->left_)
      fail(std::to_string(elements) + " elements would take more memory than the message can justify");
    current_->left_ -= bytes;
  }

 private:
  static inline thread_local DecodeBudget* current_ = nullptr;
  DecodeBudget* previous_;
  std::size_t left_;
};
// For a message of `messageBytes`.
inline std::size_t decodeBudgetFor(std::size_t messageBytes) { return (1u << 20) + 32 * messageBytes; }

// The last valid enumerator of each enum that crosses the wire (KAPPA_WIRE_ENUM).
template <class E>
struct EnumLast;

template <class T, class = void>
struct Wire;  // put(json&, const T&) and get(const json&, T&): see the specializations below

template <>
struct Wire<bool> {
  static void put(json& j, bool v) { j = v; }
  static void get(const json& j, bool& v) {
    if (!j.is_boolean()) fail("expected a boolean, got " + typeOf(j));
    v = j.get<bool>();
  }
};

template <class T>
struct Wire<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static void put(json& j, T v) {
    if constexpr (std::is_signed_v<T>) j = std::int64_t(v);
    else j = std::uint64_t(v);
  }
  static void get(const json& j, T& v) {
    if (j.is_number_unsigned()) {  // before is_number_integer(), which is true for both
      const std::uint64_t u = j.get<std::uint64_t>();
      if (u > std::uint64_t(std::numeric_limits<T>::max())) fail("integer " + std::to_string(u) + " out of range");
      v = T(u);
    } else if (j.is_number_integer()) {
      const std::int64_t s = j.get<std::int64_t>();
      if constexpr (std::is_unsigned_v<T>) {
        fail("integer " + std::to_string(s) + " out of range (must not be negative)");
      } else {
        if (s < std::int64_t(std::numeric_limits<T>::min()) || s > std::int64_t(std::numeric_limits<T>::max()))
          fail("integer " + std::to_string(s) + " out of range");
        v = T(s);
      }
    } else {
      fail("expected an integer, got " + typeOf(j));
    }
  }
};

// Doubles keep NaN and the infinities (MessagePack floats are IEEE 754); NaN means "none" in places.
template <>
struct Wire<double> {
  static void put(json& j, double v) { j = v; }
  static void get(const json& j, double& v) {
    if (!j.is_number()) fail("expected a number, got " + typeOf(j));
    v = j.get<double>();
  }
};

template <class E>
struct Wire<E, std::enable_if_t<std::is_enum_v<E>>> {
  using U = std::underlying_type_t<E>;
  static void put(json& j, E v) { Wire<U>::put(j, U(v)); }
  static void get(const json& j, E& v) {
    U u{};
    Wire<U>::get(j, u);
    if (std::uint64_t(u) > std::uint64_t(EnumLast<E>::value))
      fail("enum value " + std::to_string(std::uint64_t(u)) + " out of range (0.." +
           std::to_string(std::uint64_t(EnumLast<E>::value)) + ")");
    v = E(u);
  }
};

template <>
struct Wire<std::string> {
  static void put(json& j, const std::string& v) { j = v; }
  static void get(const json& j, std::string& v) {
    if (!j.is_string()) fail("expected a string, got " + typeOf(j));
    v = j.get_ref<const std::string&>();
  }
};

template <class T>
struct Wire<std::vector<T>> {
  static void put(json& j, const std::vector<T>& v) {
    j = json::array();
    auto& a = j.get_ref<json::array_t&>();
    a.reserve(v.size());
    for (const T& x : v) Wire<T>::put(a.emplace_back(), x);
  }
  static void get(const json& j, std::vector<T>& v) {
    if (!j.is_array()) fail("expected an array, got " + typeOf(j));
    const auto& a = j.get_ref<const json::array_t&>();
    DecodeBudget::charge(a.size(), sizeof(T));
    v.clear();
    v.resize(a.size());  // bounded: every element was in the message, and by the budget
    for (std::size_t i = 0; i < a.size(); ++i) {
      try {
        Wire<T>::get(a[i], v[i]);
      } catch (DecodeError& e) {
        e.path = "[" + std::to_string(i) + "]" + e.path;
        throw;
      }
    }
  }
};

template <class A, class B>
struct Wire<std::pair<A, B>> {
  static void put(json& j, const std::pair<A, B>& v) {
    j = json::array();
    auto& a = j.get_ref<json::array_t&>();
    Wire<A>::put(a.emplace_back(), v.first);
    Wire<B>::put(a.emplace_back(), v.second);
  }
  static void get(const json& j, std::pair<A, B>& v) {
    if (!j.is_array() || j.size() != 2) fail("expected a pair (an array of 2), got " + typeOf(j));
    try {
      Wire<A>::get(j[0], v.first);
    } catch (DecodeError& e) {
      e.path = "[0]" + e.path;
      throw;
    }
    try {
      Wire<B>::get(j[1], v.second);
    } catch (DecodeError& e) {
      e.path = "[1]" + e.path;
      throw;
    }
  }
};

// Immutable shared results (analytics): nil for none.
template <class T>
struct Wire<std::shared_ptr<const T>> {
  static void put(json& j, const std::shared_ptr<const T>& v) {
    if (v) Wire<T>::put(j, *v);
    else j = nullptr;
  }
  static void get(const json& j, std::shared_ptr<const T>& v) {
    if (j.is_null()) {
      v.reset();
      return;
    }
    auto value = std::make_shared<T>();
    Wire<T>::get(j, *value);
    v = std::move(value);
  }
};

// Reads a struct's fields in order from its array; fields past the array's end keep their defaults.
class FieldReader {
 public:
  FieldReader(const json& j, const char* type) {
    if (!j.is_array()) fail(std::string("expected ") + type + " (an array), got " + typeOf(j));
    a_ = &j.get_ref<const json::array_t&>();
  }
  template <class T>
  void next(const char* name, T& field) {
    if (i_ < a_->size()) {
      try {
        Wire<T>::get((*a_)[i_], field);
      } catch (DecodeError& e) {
        e.path = std::string(".") + name + e.path;
        throw;
      }
    }
    ++i_;
  }

 private:
  const json::array_t* a_ = nullptr;
  std::size_t i_ = 0;
};

// How many fields an aggregate has: the most initializers `T{...}` accepts. Lets every wire
// mapping assert at compile time that it lists all of its struct's fields, so a field added to a
// snapshot struct cannot silently stay home.
struct AnyField {
  template <class T>
  operator T() const;  // unevaluated only
};
template <class T, class... A>
constexpr std::size_t aggregateFieldCount() {
  if constexpr (requires { T{A{}..., AnyField{}}; }) return aggregateFieldCount<T, A..., AnyField>();
  else return sizeof...(A);
}

// Decodes `bytes` (MessagePack) into `out`; false with `error` set on malformed, truncated,
// too deeply nested or oversized input. Never throws.
bool parseMessagePack(std::string_view bytes, json& out, std::string& error);
inline constexpr std::size_t kMaxDepth = 32;  // the deepest part (analytics) nests about 8

}  // namespace kappa::remote::wire

#define KAPPA_WIRE_PUT_FIELD(f) ::kappa::remote::wire::Wire<std::decay_t<decltype(v.f)>>::put(a.emplace_back(), v.f);
#define KAPPA_WIRE_GET_FIELD(f) in.next(#f, v.f);
#define KAPPA_WIRE_FIELD_NAME(f) #f,

// One line per struct: the fields that cross the wire, in declaration order (append new ones last).
#define KAPPA_WIRE_STRUCT(Type, ...)                                                      \
  template <>                                                                             \
  struct kappa::remote::wire::Wire<Type> {                                                \
    static constexpr const char* kFields[] = {                                            \
        NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(KAPPA_WIRE_FIELD_NAME, __VA_ARGS__))};   \
    static_assert(std::size(kFields) == aggregateFieldCount<Type>(),                      \
                  #Type ": its wire mapping must list every field");                      \
    static void put(json& j, const Type& v) {                                             \
      j = json::array();                                                                  \
      auto& a = j.get_ref<json::array_t&>();                                              \
      NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(KAPPA_WIRE_PUT_FIELD, __VA_ARGS__))         \
    }                                                                                     \
    static void get(const json& j, Type& v) {                                             \
      FieldReader in(j, #Type);                                                           \
      NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(KAPPA_WIRE_GET_FIELD, __VA_ARGS__))         \
    }                                                                                     \
  };

#define KAPPA_WIRE_ENUM(E, last)                  \
  template <>                                     \
  struct kappa::remote::wire::EnumLast<E> {       \
    static constexpr E value = last;              \
  };

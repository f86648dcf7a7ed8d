#include "desk/DeskHaltNotice.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

namespace kappa::desk {

namespace {
constexpr std::size_t kMaxText = 1000;  // a reason, a user, an id: no more is kept
}

std::string encodeDeskHalt(const DeskHaltNotice& n) {
  nlohmann::json j;
  j["active"] = n.active;
  j["id"] = n.id;
  j["reason"] = n.reason;
  j["user"] = n.user;
  j["at"] = n.at;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<DeskHaltNotice> decodeDeskHalt(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<DeskHaltNotice> {
    if (error) *error = "desk halt notice: " + std::move(why);
    return std::nullopt;
  };
  const nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  DeskHaltNotice n;
  const auto active = j.find("active");
  if (active == j.end() || !active->is_boolean()) return fail("'active' must be true or false");
  n.active = active->get<bool>();
  for (auto [key, field] : {std::pair{"id", &n.id}, {"reason", &n.reason}, {"user", &n.user}}) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return fail(std::string("'") + key + "' must be a string");
    *field = it->get<std::string>();
    if (field->size() > kMaxText) field->resize(kMaxText);
  }
  if (n.id.empty()) return fail("'id' is empty");
  if (const auto at = j.find("at"); at != j.end() && at->is_number_integer()) n.at = at->get<Nanos>();
  return n;
}

std::string newDeskHaltId() {
  std::random_device rd;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld-%08x",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()), rd());
  return buf;
}

}  // namespace kappa::desk

#pragma once
// Every NATS subject and key-value key of the desk, in one place (docs/desk/nats-server-roles.conf
// grants permissions on exactly these). Engine and user names are single subject tokens
// ([A-Za-z0-9_-]+), so a user can be allowed kappa.a.cmd.alice.> and nothing else.
#include <string>
#include <string_view>

namespace kappa::remote {

inline constexpr const char* kEnginesBucket = "kappa_engines";  // <engine>.<part>: each engine's last state
inline constexpr const char* kDeskBucket = "kappa_desk";        // halt, limits: the risk role's
inline constexpr const char* kDeskHaltKey = "halt";
inline constexpr const char* kDeskLimitsKey = "limits";
inline constexpr const char* kDeskHaltSubject = "kappa.desk.halt";
// Published once at attach to learn whether this user holds the risk role (the server refuses the
// others): a refusal here is the answer, not a problem to show.
inline constexpr const char* kDeskProbeSubject = "kappa.desk.probe";
// Parts that are not snapshot parts (SnapshotCodec's): the instrument list, the desk summary and
// the on-chain venue's state.
inline constexpr const char* kInstrumentsPart = "instruments";
inline constexpr const char* kDeskPart = "desk";
inline constexpr const char* kEvmPart = "evm";  // the on-chain venue's panel state (EvmPartCodec), when the engine has one

inline std::string stateSubject(std::string_view engine, std::string_view part) {
  return "kappa." + std::string(engine) + ".state." + std::string(part);
}
inline std::string stateWildcard(std::string_view engine) { return "kappa." + std::string(engine) + ".state.>"; }
inline std::string commandSubject(std::string_view engine, std::string_view user, std::string_view verb) {
  return "kappa." + std::string(engine) + ".cmd." + std::string(user) + "." + std::string(verb);
}
inline std::string commandWildcard(std::string_view engine) { return "kappa." + std::string(engine) + ".cmd.*.*"; }
// Reads an attached window asks an engine for (requests, answered on the engine's query thread):
// kappa.<engine>.query.<user>.<what>, the user's own token as for commands.
inline constexpr const char* kJournalQuery = "journal";  // a page of the journal (the Audit view)
inline constexpr const char* kPluginsQuery = "plugins";  // the plugin files in its plugins folder
inline std::string querySubject(std::string_view engine, std::string_view user, std::string_view what) {
  return "kappa." + std::string(engine) + ".query." + std::string(user) + "." + std::string(what);
}
inline std::string queryWildcard(std::string_view engine) { return "kappa." + std::string(engine) + ".query.*.*"; }
inline std::string engineKey(std::string_view engine, std::string_view part) {
  return std::string(engine) + "." + std::string(part);
}

// A name that can be one subject token: 1 to 64 of A-Z a-z 0-9 _ -.
inline bool validToken(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

}  // namespace kappa::remote

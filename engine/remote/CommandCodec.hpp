#pragma once
// The commands an attached GUI or a desk sends an engine, and the engine's answer. Each is a NATS
// request on kappa.<engine>.cmd.<user>.<verb>: the verb is the subject's last token and the body is
// small JSON text (readable in logs; no secret ever travels in a command). The server lets a user
// publish only under its own <user> token, so the engine knows who sent it.
//
// Decoding is untrusted input: an unknown verb, a body that is not a JSON object, a field of the
// wrong type, a price or quantity that is not a whole number of fixed-point units (so no NaN or
// infinity), a negative or zero quantity, an out-of-range enum or id, or an oversize string or
// list is refused with the reason. Unknown fields are ignored (a newer sender). Prices and
// quantities are the engine's fixed point (value x 1e8, core/Fixed.hpp), as JSON integers.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "oms/OrderTypes.hpp"
#include "strategy/StrategyParams.hpp"

namespace kappa::remote {

namespace cmd {
struct Submit { OrderRequest request; };                       // verb "submit"; request.clientRef finds the answer
struct Cancel { OrderId id = 0; };                             // "cancel"
struct CancelAll { InstrumentId instrument = kNoInstrument; }; // "cancel_all"; kNoInstrument: every instrument
struct Replace { OrderId id = 0; Price price = 0; Qty qty = 0; };  // "replace"
struct Halt { std::string reason; };                           // "halt"
struct Reduce { std::string reason; };                         // "reduce"
struct Flatten { std::string reason; };                        // "flatten"
struct Resume {};                                              // "resume"
struct ChangeRiskLimit { std::string assignment; };            // "risk_limit", e.g. "instruments/@option/max_position=off"
struct LoadPlugin { std::string path; bool approve = false; }; // "load_plugin"
struct UnloadPlugin { std::string path; };                     // "unload_plugin"
struct LaunchStrategy {                                        // "launch_strategy"
  std::string path;
  std::string strategyId;  // empty: the plugin's first strategy
  ParamAssignments params;
  bool start = true;
  bool approve = false;
};
struct StartStrategy { std::uint32_t id = 0; };                // "start_strategy"
struct StopStrategy { std::uint32_t id = 0; };                 // "stop_strategy"
struct RemoveStrategy { std::uint32_t id = 0; };               // "remove_strategy"
struct SetStrategyParam { std::uint32_t id = 0; std::string name, value; };  // "strategy_param"
struct Focus {                                                 // "focus": the instruments one window shows depth for
  std::string client;  // the window's session (RemoteEngineLink's id): its focus is leased apart from other windows'
  std::vector<InstrumentId> instruments;
};
struct SpeedUp { OrderId id = 0; };                            // "speed_up": a pending swap of the on-chain venue
}  // namespace cmd

using Command = std::variant<cmd::Submit, cmd::Cancel, cmd::CancelAll, cmd::Replace, cmd::Halt, cmd::Reduce, cmd::Flatten,
                             cmd::Resume, cmd::ChangeRiskLimit, cmd::LoadPlugin, cmd::UnloadPlugin, cmd::LaunchStrategy,
                             cmd::StartStrategy, cmd::StopStrategy, cmd::RemoveStrategy, cmd::SetStrategyParam, cmd::Focus,
                             cmd::SpeedUp>;

inline constexpr std::size_t kMaxCommandBytes = 64 * 1024;  // a larger body is refused unread
inline constexpr std::size_t kMaxCommandString = 4096;      // reason, path, tag, parameter value, ...
inline constexpr std::size_t kMaxCommandList = 256;         // parameters, focused instruments
inline constexpr std::size_t kMaxFocusClient = 64;          // a focus command's client id

// The subject's last token for the command ("submit", "cancel_all", ...): [a-z_]+.
const char* verbOf(const Command& command);
// The body (JSON text) for the command.
std::string encodeCommand(const Command& command);
// "" and `out` set, or the reason (`out` untouched).
std::string decodeCommand(std::string_view verb, std::string_view body, Command& out);

// The engine's reply to a command request.
struct CommandAnswer {
  bool accepted = false;
  std::string reason;         // why not (or a note when accepted); never a secret
  std::uint64_t orderId = 0;  // submit: the order's id when the engine took it; else 0
};
std::string encodeAnswer(const CommandAnswer& answer);
// "" and `out` set, or the reason.
std::string decodeAnswer(std::string_view body, CommandAnswer& out);

}  // namespace kappa::remote

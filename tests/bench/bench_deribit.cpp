// Deribit market-data decoding: raw book change messages, in the shapes of the real recording
// (../shared/refdata/marketdata/deribit/), generated at scale, to the engine's MdEvents. The
// connector's own decoder (simdjson On-Demand) and the same work with nlohmann::json, side by side.
#include <benchmark/benchmark.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "venue/deribit/DeribitDecoder.hpp"

using namespace kappa;
using namespace kappa::deribit;

namespace {

struct DeribitStream {
  InstrumentRegistry instruments;
  std::vector<std::string> messages;  // 10 snapshots, then changes
  std::size_t changes = 0;
};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";  // as Deribit writes amounts: 2.6, 4714.0
  return s;
}

// Option books like the recording's: prices on a 0.0005 tick, 1–3 levels per change, mostly
// "change" and "new" with some "delete", ids increasing by irregular steps as Deribit's do.
const DeribitStream& stream() {
  static const DeribitStream s = [] {
    DeribitStream s;
    const char* names[] = {"BTC-24SEP21-8000-P", "BTC-30JUL21-24000-P", "ETH-30JUL21-2800-C", "BTC-31DEC21-34000-P",
                           "BTC-24SEP21-34000-P", "BTC-24JUN22-15000-C", "BTC-31DEC21-300000-C", "ETH-27AUG21-4000-P",
                           "BTC-25MAR22-30000-C", "ETH-23JUL21-2300-C"};
    std::mt19937_64 rng(12);
    std::map<std::string, std::uint64_t> change;
    std::uint64_t ts = 1626993723632;
    for (const char* n : names) {
      Instrument inst;
      inst.name = n;
      inst.kind = InstrumentKind::Option;
      s.instruments.add(inst);
      change[n] = 33195894164 + (rng() % 1000000);
      std::string m = R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.)" + std::string(n) +
                      R"(.raw","data":{"type":"snapshot","timestamp":)" + std::to_string(ts) + R"(,"instrument_name":")" + n +
                      R"(","change_id":)" + std::to_string(change[n]) + R"(,"bids":[)";
      for (int i = 0; i < 10; ++i) m += std::string(i ? "," : "") + "[\"new\"," + num(0.05 - 0.0005 * i) + "," + num(1.0 + i) + "]";
      m += R"(],"asks":[)";
      for (int i = 0; i < 10; ++i) m += std::string(i ? "," : "") + "[\"new\"," + num(0.0505 + 0.0005 * i) + "," + num(2.0 + i) + "]";
      m += "]}}}";
      s.messages.push_back(std::move(m));
    }
    const char* actions[] = {"change", "change", "new", "delete"};
    for (int k = 0; k < 200000; ++k) {
      const std::string n = names[rng() % 10];
      const std::uint64_t prev = change[n];
      const std::uint64_t next = prev + 1 + rng() % 300;
      change[n] = next;
      ts += rng() % 3;
      auto levels = [&](bool bid) {
        std::string l = "[";
        const int count = int(rng() % 3);
        for (int i = 0; i < count; ++i) {
          const double px = bid ? 0.05 - 0.0005 * double(rng() % 10) : 0.0505 + 0.0005 * double(rng() % 10);
          const char* a = actions[rng() % 4];
          const double amount = std::string(a) == "delete" ? 0.0 : 0.1 * double(1 + rng() % 500);
          l += std::string(i ? "," : "") + "[\"" + a + "\"," + num(px) + "," + num(amount) + "]";
        }
        return l + "]";
      };
      s.messages.push_back(R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.)" + n +
                           R"(.raw","data":{"type":"change","timestamp":)" + std::to_string(ts) + R"(,"prev_change_id":)" +
                           std::to_string(prev) + R"(,"instrument_name":")" + n + R"(","change_id":)" + std::to_string(next) +
                           R"(,"bids":)" + levels(true) + R"(,"asks":)" + levels(false) + "}}}");
      ++s.changes;
    }
    // As the transport hands messages over: with readable slack after the text, parsed in place.
    for (std::string& m : s.messages) m.reserve(m.size() + DeribitDecoder::kPadding);
    return s;
  }();
  return s;
}

// The same decoding with nlohmann::json: parse the DOM, walk it, sequence-check, emit MdEvents.
struct NlohmannDecoder {
  const InstrumentRegistry& instruments;
  std::map<std::string, InstrumentId, std::less<>> byName;
  std::vector<std::uint64_t> last;
  explicit NlohmannDecoder(const InstrumentRegistry& r) : instruments(r), last(r.size(), 0) {
    for (const Instrument& i : r.all()) byName.emplace(i.name, i.id);
  }
  bool decode(const std::string& text, std::vector<MdEvent>& out) {
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || j.value("method", "") != "subscription") return false;
    const auto& params = j.at("params");
    const std::string& channel = params.at("channel").get_ref<const std::string&>();
    const std::size_t a = channel.find('.'), b = channel.rfind('.');
    auto it = byName.find(std::string_view(channel).substr(a + 1, b - a - 1));
    if (it == byName.end()) return false;
    const auto& data = params.at("data");
    const bool snapshot = data.at("type").get_ref<const std::string&>() == "snapshot";
    MdEvent begin;
    begin.type = MdType::BookBegin;
    begin.instrument = it->second;
    begin.isSnapshot = snapshot;
    begin.changeId = data.at("change_id").get<std::uint64_t>();
    if (!snapshot) {
      begin.prevChangeId = data.at("prev_change_id").get<std::uint64_t>();
      if (begin.prevChangeId != last[it->second]) return false;
    }
    begin.ts = Nanos(data.at("timestamp").get<std::uint64_t>()) * 1'000'000;
    out.push_back(begin);
    for (const char* sideKey : {"bids", "asks"})
      for (const auto& level : data.at(sideKey)) {
        MdEvent e;
        e.type = MdType::BookLevel;
        e.instrument = it->second;
        e.side = sideKey[0] == 'b' ? Side::Buy : Side::Sell;
        const std::string& action = level.at(0).get_ref<const std::string&>();
        e.action = action == "new" ? LevelAction::New : action == "change" ? LevelAction::Change : LevelAction::Delete;
        e.price = toFixed(level.at(1).get<double>());
        e.qty = toFixed(level.at(2).get<double>());
        out.push_back(e);
      }
    MdEvent end;
    end.type = MdType::BookEnd;
    end.instrument = it->second;
    out.push_back(end);
    last[it->second] = begin.changeId;
    return true;
  }
};

}  // namespace

// Messages per second (items) through the connector's decoder: JSON text to MdEvents, with the
// change_id sequence check, on one core.
static void BM_DeribitDecodeBook(benchmark::State& state) {
  const DeribitStream& s = stream();
  DeribitDecoder decoder(s.instruments);
  DecodedBatch batch;
  batch.md.reserve(1 << 16);
  std::size_t events = 0;
  for (auto _ : state) {
    decoder.awaitAllSnapshots();  // each pass starts from the snapshots again
    for (const std::string& m : s.messages) {
      decoder.decodePadded(m, batch);
      events += batch.md.size();
      batch.md.clear();
    }
  }
  if (decoder.gaps() || decoder.malformed()) state.SkipWithError("stream did not decode cleanly");
  state.SetItemsProcessed(std::int64_t(state.iterations() * s.messages.size()));
  state.counters["events_per_msg"] = double(events) / double(state.iterations() * s.messages.size());
}
BENCHMARK(BM_DeribitDecodeBook)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMillisecond);

static void BM_DeribitDecodeBookNlohmann(benchmark::State& state) {
  const DeribitStream& s = stream();
  NlohmannDecoder decoder(s.instruments);
  std::vector<MdEvent> out;
  out.reserve(1 << 16);
  std::size_t events = 0, refused = 0;
  for (auto _ : state) {
    for (const std::string& m : s.messages) {
      refused += !decoder.decode(m, out);
      events += out.size();
      out.clear();
    }
  }
  if (refused) state.SkipWithError("stream did not decode cleanly");
  state.SetItemsProcessed(std::int64_t(state.iterations() * s.messages.size()));
  state.counters["events_per_msg"] = double(events) / double(state.iterations() * s.messages.size());
}
BENCHMARK(BM_DeribitDecodeBookNlohmann)->Unit(benchmark::kMillisecond);

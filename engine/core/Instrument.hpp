#pragma once
#include <atomic>
#include <cstddef>
#include <iterator>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/Fixed.hpp"
#include "core/Types.hpp"

namespace kappa {

// Spot: bought and sold outright, delta one, no expiry, no funding (an AMM pool: WETH/USDC on
// Uniswap V2). Risk limits address each kind as @index, @perpetual, @future, @option, @spot.
enum class InstrumentKind : std::uint8_t { Index, Perpetual, Future, Option, Spot };
enum class OptionType : std::uint8_t { None, Call, Put };
// Inverse: quoted against USD but margined and settled in the coin (Deribit BTC perpetual: amount in
// USD, PnL in BTC; BTC options: premium in BTC, payoff max(S-K,0)/S in BTC). Linear: PnL = qty*dP.
enum class Settlement : std::uint8_t { Inverse, Linear };

struct Instrument {
  InstrumentId id = kNoInstrument;
  VenueId venue = 0;                // the venue that lists it: its identity is venue + name
  std::string name;                 // venue name, e.g. BTC-PERPETUAL, BTC-27DEC26-70000-C, BTCUSDT
  InstrumentKind kind = InstrumentKind::Perpetual;
  Settlement settlement = Settlement::Inverse;
  OptionType optionType = OptionType::None;
  std::string baseCurrency = "BTC";
  std::string quoteCurrency = "USD";   // currency of the price
  std::string settleCurrency = "BTC";  // currency of PnL and fees
  InstrumentId underlyingId = kNoInstrument;  // index the instrument prices off
  Price strike = 0;
  Nanos expiry = 0;                 // 0 for perpetuals and indices; options/futures at 08:00 UTC
  double contractSize = 1.0;        // options: 1 BTC; perpetual: 10 USD per contract
  Price tickSize = 1;
  Qty minQty = 1;                   // smallest order and quantity step
  Qty maxQty = 0;                   // 0 = no instrument limit
  bool tradable = true;
  double makerFee = 0.0;            // rate, see feeFor()
  double takerFee = 0.0;
  int priceDecimals = 2;            // decided by the tick size
  int qtyDecimals = 0;

  bool isOption() const { return kind == InstrumentKind::Option; }
  // Value of one unit of quantity at price p, in the settlement currency, up to a constant:
  // PnL of a position q opened at p0 and marked at p1 is q*(unitValue(p1) - unitValue(p0)).
  double unitValue(double p) const {
    if (settlement == Settlement::Inverse && !isOption()) return p > 0 ? -1.0 / p : 0.0;
    return p * (isOption() ? contractSize : 1.0);
  }
};

// A dollar currency (USD and the dollar stablecoins USDT, USDC): taken at par with USD for PnL in USD,
// and shown with thousands separators like USD.
inline bool isDollarCurrency(std::string_view c) { return c == "USD" || c == "USDT" || c == "USDC"; }

// Decimal places needed to show a fixed-point step exactly (0.0005 -> 4, 0.5 -> 1, 10 -> 0).
int decimalsFor(std::int64_t fixedStep);
// 08:00 UTC on the given civil date, as Deribit expires options and futures.
Nanos expiryAt0800Utc(int year, int month, int day);
// Deribit-style names: BTC-27DEC26, BTC-27DEC26-70000-C.
std::string deribitExpiryCode(Nanos expiry);
std::string formatFixed(std::int64_t value, int decimals);
// All significant decimals, no trailing zeros (0.03125, 67000.5, 10).
std::string formatTrimmed(std::int64_t value);

// The instruments every venue lists, by id (0, 1, 2, ... in listing order, venues interleaved).
// Ids are never reused and an instrument is never removed: orders, fills, positions and the journal
// refer to them. A name is unique within its venue (Instrument::venue); two venues may list the same
// name.
//
// The set grows while the engine runs (Deribit lists new strikes and expiries during the day) and
// instruments retire (an expired option settles). Threading: every venue adds and retires its own
// instruments on its own thread in the one registry the engine owns; writers are serialized by a
// mutex (rare: listings), and any thread may read at the same time without a lock. Storage is chunked and never moves, so a reference or pointer to an Instrument
// stays valid for the registry's life; size() is published with release after the new instrument
// is complete, so a reader that got an id below size() (or through anything the writer published
// after adding it, e.g. a snapshot) sees it whole. Name lookups take a shared lock.
class InstrumentRegistry {
 public:
  static constexpr std::size_t kChunkBits = 8;
  static constexpr std::size_t kChunkSize = std::size_t(1) << kChunkBits;
  static constexpr std::size_t kMaxChunks = 4096;  // 1,048,576 instruments
  static constexpr std::size_t kCapacity = kChunkSize * kMaxChunks;

  InstrumentRegistry();
  ~InstrumentRegistry();
  InstrumentRegistry(const InstrumentRegistry& other);  // a copy with the same ids and retirements
  InstrumentRegistry& operator=(const InstrumentRegistry& other);

  // Any thread (writers take turns). Throws on a name its venue already listed, or when full.
  InstrumentId add(Instrument instrument);
  // Any thread: the instrument expired/settled (or the venue delisted it). It keeps its id and
  // stays findable; views and the chain drop it. False if unknown or already retired.
  bool retire(InstrumentId id);

  // ---- any thread ----
  const Instrument& operator[](InstrumentId id) const {
    return chunks_[id >> kChunkBits].load(std::memory_order_acquire)->items[id & (kChunkSize - 1)];
  }
  // By name in any venue: the first venue's (lowest id) when two list it; "venue-index:name" is not
  // parsed here (the registry knows venues by id only). Prefer find(venue, name) where the venue is known.
  const Instrument* find(std::string_view name) const;
  const Instrument* find(VenueId venue, std::string_view name) const;
  std::size_t size() const { return size_.load(std::memory_order_acquire); }
  bool retired(InstrumentId id) const {
    return id < size() &&
           chunks_[id >> kChunkBits].load(std::memory_order_acquire)->retired[id & (kChunkSize - 1)].load(
               std::memory_order_acquire);
  }
  // Changes with every add and retire: views and analytics rebuild what they derived from the set
  // when it moved (0 for an empty registry).
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // The instruments listed when called (later additions are not in this range), by id.
  class Range {
   public:
    class iterator {
     public:
      using iterator_category = std::forward_iterator_tag;
      using value_type = Instrument;
      using difference_type = std::ptrdiff_t;
      using pointer = const Instrument*;
      using reference = const Instrument&;
      iterator() = default;
      iterator(const InstrumentRegistry* r, std::size_t i) : r_(r), i_(i) {}
      reference operator*() const { return (*r_)[InstrumentId(i_)]; }
      pointer operator->() const { return &(*r_)[InstrumentId(i_)]; }
      iterator& operator++() { ++i_; return *this; }
      iterator operator++(int) { iterator t = *this; ++i_; return t; }
      bool operator==(const iterator& o) const { return i_ == o.i_; }
      bool operator!=(const iterator& o) const { return i_ != o.i_; }
     private:
      const InstrumentRegistry* r_ = nullptr;
      std::size_t i_ = 0;
    };
    Range(const InstrumentRegistry* r, std::size_t n) : r_(r), n_(n) {}
    iterator begin() const { return {r_, 0}; }
    iterator end() const { return {r_, n_}; }
    std::size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }
    const Instrument& operator[](std::size_t i) const { return (*r_)[InstrumentId(i)]; }
   private:
    const InstrumentRegistry* r_;
    std::size_t n_;
  };
  Range all() const { return Range(this, size()); }

 private:
  struct Chunk {
    Instrument items[kChunkSize];
    std::atomic<bool> retired[kChunkSize] = {};
  };
  void clear();
  std::unique_ptr<std::atomic<Chunk*>[]> chunks_;  // kMaxChunks slots, filled as needed
  std::atomic<std::size_t> size_{0};
  std::atomic<std::uint64_t> version_{0};
  std::mutex writeMutex_;                 // one writer at a time (add; retire is an atomic flag)
  mutable std::shared_mutex nameMutex_;  // guards byName_
  std::unordered_map<std::string, std::vector<InstrumentId>> byName_;  // per name: ids by venue, lowest first
};

// "venue:name" (e.g. "binance-futures:BTCUSDT", the venue as named in `venueNames`, by VenueId) or
// a bare name (the first venue that lists it). Null if unknown.
const Instrument* findByQualifiedName(const InstrumentRegistry& registry, const std::vector<std::string>& venueNames,
                                      std::string_view name);

}  // namespace kappa

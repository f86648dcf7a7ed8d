#pragma once
// Which fields of each struct reached from EngineSnapshot cross the wire, in declaration order
// (see WireValue.hpp: a struct is an array; new fields are appended, never inserted). Internal to
// engine/remote. A field left out here silently stays at its default on the attached side, so
// tst_remote_codec compares every field after a round trip.
#include "core/EngineSnapshot.hpp"
#include "remote/WireValue.hpp"

KAPPA_WIRE_ENUM(kappa::Side, kappa::Side::Sell)
KAPPA_WIRE_ENUM(kappa::BookStatus, kappa::BookStatus::Stale)
KAPPA_WIRE_ENUM(kappa::StaleReason, kappa::StaleReason::Retired)
KAPPA_WIRE_ENUM(kappa::OrderType, kappa::OrderType::Market)
KAPPA_WIRE_ENUM(kappa::TimeInForce, kappa::TimeInForce::ImmediateOrCancel)
KAPPA_WIRE_ENUM(kappa::OrderOrigin, kappa::OrderOrigin::System)
KAPPA_WIRE_ENUM(kappa::OrderState, kappa::OrderState::Unknown)
KAPPA_WIRE_ENUM(kappa::TradingState, kappa::TradingState::Halted)
KAPPA_WIRE_ENUM(kappa::VenueState, kappa::VenueState::Degraded)
KAPPA_WIRE_ENUM(kappa::InstanceState, kappa::InstanceState::Faulted)
KAPPA_WIRE_ENUM(kappa::PluginApproval, kappa::PluginApproval::Unknown)
KAPPA_WIRE_ENUM(kappa::Limit, kappa::Limit(std::size_t(kappa::Limit::Count) - 1))
KAPPA_WIRE_ENUM(kappa::Trigger, kappa::Trigger(std::size_t(kappa::Trigger::Count) - 1))
KAPPA_WIRE_ENUM(kappa::TriggerAction, kappa::TriggerAction::Halt)
KAPPA_WIRE_ENUM(kappa::pricing::IvStatus, kappa::pricing::IvStatus::NotConverged)
KAPPA_WIRE_ENUM(kappa::vol::SviFitStatus, kappa::vol::SviFitStatus::BadInput)

// Market data
KAPPA_WIRE_STRUCT(kappa::Level, price, qty)
KAPPA_WIRE_STRUCT(kappa::TradePrint, seq, instrument, price, qty, aggressor, ts)
KAPPA_WIRE_STRUCT(kappa::Candle, start, open, high, low, close, volume)
KAPPA_WIRE_STRUCT(kappa::QuoteRow, instrument, bid, ask, last, reference, bidQty, askQty, status, staleReason, fundingRate,
                  nextFundingMs)
KAPPA_WIRE_STRUCT(kappa::DepthView, instrument, bids, asks, changeId, status, staleReason)
KAPPA_WIRE_STRUCT(kappa::FocusedMarket, depth, trades, candles)

// Orders, fills, positions
KAPPA_WIRE_STRUCT(kappa::OrderRequest, instrument, side, type, tif, postOnly, reduceOnly, price, qty, origin, tag, strategy,
                  clientRef)
KAPPA_WIRE_STRUCT(kappa::Order, id, venueOrderId, request, state, filled, leaves, avgFillPrice, fees, created, updated, reason,
                  cancelRequested, cancelSentAt)
KAPPA_WIRE_STRUCT(kappa::Fill, seq, orderId, instrument, side, price, qty, fee, maker, ts)
KAPPA_WIRE_STRUCT(kappa::PositionRow, instrument, qty, averagePrice, mark, unrealizedPnl, realizedPnl, fees, unconfirmedQty)
KAPPA_WIRE_STRUCT(kappa::UnderlyingRow, currency, indexId, index, pnl, pnlUsd)

// Venues
KAPPA_WIRE_STRUCT(kappa::VenueAccount, currency, equity, balance, initialMargin, maintenanceMargin, availableFunds, ts)
KAPPA_WIRE_STRUCT(kappa::AccountRow, account, receivedAt)
KAPPA_WIRE_STRUCT(kappa::VenueSummary, environment, endpoint, state, reconnects, resyncs, rateLimited, tooManyRequests,
                  heartbeatLatency, accounts, latestBlock, gasPaidToday)
KAPPA_WIRE_STRUCT(kappa::VenueRow, id, name, environment, state, detail, stateAt, accounts, summary, workingOrders,
                  positionChecks, positionMismatches)

// Strategies
KAPPA_WIRE_STRUCT(kappa::ParamRow, name, description, value, type, minValue, maxValue)
KAPPA_WIRE_STRUCT(kappa::StrategyDescriptionRow, id, name, version, vendor, description, params)
KAPPA_WIRE_STRUCT(kappa::PluginRow, path, sha256, approvedSha256, approval, loaded, error, strategies)
KAPPA_WIRE_STRUCT(kappa::StrategyRow, id, name, pluginPath, strategyId, strategyName, version, state, params, ordersSent,
                  ordersRefused, fills, workingOrders, faults, overruns, realizedPnl, unrealizedPnl, pnlCurrency, lastError)
KAPPA_WIRE_STRUCT(kappa::RiskEventRow, ts, source, subject, message)

// Risk
KAPPA_WIRE_STRUCT(kappa::LimitUse, limit, scope, use, value, enabled, path)
KAPPA_WIRE_STRUCT(kappa::Breach, first, last, what, scope, detail, count, trigger, action)
KAPPA_WIRE_STRUCT(kappa::TriggerSetting, threshold, action)
KAPPA_WIRE_STRUCT(kappa::TriggerRow, trigger, setting, value, fired)

// Option analytics
KAPPA_WIRE_STRUCT(kappa::vol::SviParams, a, b, rho, m, sigma)
KAPPA_WIRE_STRUCT(kappa::vol::SviFitResult, params, status, rmse, maxError, gMin, evaluations, quotesUsed, quotesSkipped)
KAPPA_WIRE_STRUCT(kappa::vol::KRange, kFrom, kTo)
KAPPA_WIRE_STRUCT(kappa::vol::ButterflyReport, arbitrage, gMin, kAtGMin, ranges)
KAPPA_WIRE_STRUCT(kappa::vol::CalendarViolation, earlier, later, worstGap, kAtWorst, ranges)
KAPPA_WIRE_STRUCT(kappa::vol::CalendarReport, arbitrage, badInput, violations)
KAPPA_WIRE_STRUCT(kappa::analytics::OptionAnalytics, instrument, expiryIndex, strike, k, t, isCall, bidIv, askIv, midIv,
                  bidStatus, askStatus, markIv, venueMarkIv, theo, edgeBid, edgeAsk, deltaCoin, gammaCoin, vegaCoin,
                  thetaCoin, deltaUsd, gammaUsd, vegaUsd, thetaUsd)
KAPPA_WIRE_STRUCT(kappa::analytics::ExpiryAnalytics, expiry, t, forward, forwardFromParity, fit, butterfly, quotedKMin,
                  quotedKMax, hasSurface, surface, surfaceFittedAt, atmVol, options)
KAPPA_WIRE_STRUCT(kappa::analytics::GreekTotals, deltaCoin, gammaCoin, vegaCoin, thetaCoin, deltaUsd, gammaUsd, vegaUsd,
                  thetaUsd)
KAPPA_WIRE_STRUCT(kappa::analytics::PositionRisk, instrument, qty, valueCoin, greeks)
KAPPA_WIRE_STRUCT(kappa::analytics::Scenario, spotShift, volShift, days, pnlCoin, pnlUsd)
KAPPA_WIRE_STRUCT(kappa::analytics::PnlCurve, label, spot, pnlUsd)
KAPPA_WIRE_STRUCT(kappa::analytics::ChainAnalytics, underlying, indexId, seq, computedAt, sampledAt, computeMicros, index,
                  options, expiries, calendar, fittedExpiries, positions, total, byExpiry, scenarioSpotShifts,
                  scenarioVolShifts, scenarioDays, scenarios, pnlCurves)
KAPPA_WIRE_STRUCT(kappa::analytics::UsdGreeks, valueUsd, deltaUsd, gammaUsd, vegaUsd, thetaUsd)
KAPPA_WIRE_STRUCT(kappa::analytics::MarketAnalytics, seq, computedAt, sampledAt, computeMicros, chains, usd, usdTotal,
                  scenariosUsdTotal)

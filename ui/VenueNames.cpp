#include "VenueNames.hpp"

namespace kappa::ui {

QString VenueNames::display(const InstrumentRegistry& registry, InstrumentId id) const {
  if (id >= registry.size()) return {};
  const Instrument& inst = registry[id];
  for (VenueId other = 0; other < names.size(); ++other)
    if (other != inst.venue && registry.find(other, inst.name)) return qualified(inst);
  return QString::fromStdString(inst.name);
}

QString VenueNames::qualified(const Instrument& inst) const {
  if (!several()) return QString::fromStdString(inst.name);
  return venue(inst) + ":" + QString::fromStdString(inst.name);
}

const Instrument* VenueNames::find(const InstrumentRegistry& registry, const QString& text) const {
  const std::string s = text.trimmed().toStdString();
  if (s.empty()) return nullptr;
  return findByQualifiedName(registry, names, s);
}

}  // namespace kappa::ui

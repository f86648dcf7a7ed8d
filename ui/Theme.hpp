#pragma once
#include <QColor>

class QApplication;

namespace kappa::ui {

// Colours traders expect: bids/buys green, asks/sells red, own orders in a distinct accent.
namespace colors {
inline const QColor background{0x12, 0x15, 0x1a};
inline const QColor panel{0x1a, 0x1e, 0x25};
inline const QColor grid{0x2a, 0x30, 0x3a};
inline const QColor text{0xe6, 0xe9, 0xee};
inline const QColor dimText{0x8a, 0x93, 0xa3};
inline const QColor bid{0x26, 0xc2, 0x81};
inline const QColor ask{0xf0, 0x4b, 0x5a};
inline const QColor bidBar{0x1d, 0x5e, 0x46};
inline const QColor askBar{0x74, 0x2a, 0x33};
inline const QColor own{0x3d, 0x9b, 0xff};
inline const QColor last{0xf5, 0xc5, 0x42};
inline const QColor halted{0xd3, 0x2f, 0x2f};
inline const QColor active{0x2e, 0x9d, 0x5b};
inline const QColor stale{0x6b, 0x72, 0x80};
}  // namespace colors

// Fusion style, dark palette and the application stylesheet from resources.
void applyDarkTheme(QApplication& app);

}  // namespace kappa::ui

#include "kiosk/core/scan_detector.hpp"

#include <utility>

namespace kiosk::core {

namespace {

// Characters (code points) in UTF-8 text: every byte that is not a continuation byte starts one.
std::size_t count_chars(std::string_view utf8) {
    std::size_t n = 0;
    for (const char c : utf8) {
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;
    }
    return n;
}

} // namespace

void ScanDetector::text(std::string_view utf8, std::int64_t t_ms) {
    if (utf8.empty()) return;
    const bool started = chars_ > 0 || overflow_;
    if (started && t_ms - last_ms_ > opt_.max_gap_ms) reset(); // a pause: what came before was not a scan
    last_ms_ = t_ms;
    const std::size_t n = count_chars(utf8);
    if (overflow_ || chars_ + n > opt_.max_length) {
        // Too long for a scan: keep only the fact (and the timing), not the content.
        overflow_ = true;
        buffer_.clear();
        buffer_.shrink_to_fit();
        chars_ = opt_.max_length + 1;
        return;
    }
    buffer_.append(utf8);
    chars_ += n;
}

std::optional<std::string> ScanDetector::enter(std::int64_t t_ms) {
    const bool started = chars_ > 0 || overflow_;
    const bool in_time = t_ms - last_ms_ <= opt_.max_gap_ms;
    std::optional<std::string> result;
    if (started && in_time) {
        if (overflow_) {
            result = std::string();
        } else if (chars_ >= opt_.min_length) {
            result = std::move(buffer_);
        }
    }
    reset();
    return result;
}

bool ScanDetector::in_burst(std::int64_t now_ms) const {
    return (chars_ > 0 || overflow_) && now_ms - last_ms_ <= opt_.max_gap_ms;
}

void ScanDetector::reset() {
    buffer_.clear();
    chars_ = 0;
    last_ms_ = 0;
    overflow_ = false;
}

} // namespace kiosk::core

#include "kiosk/core/scan_detector.hpp"

#include "kiosk/core/text.hpp"

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

// Room for the longest burst kept (max_length characters of at most 4 bytes) and one more SDL text event,
// reserved once so that appending never reallocates and leaves a copy of scanned text in freed memory.
std::size_t capacity_for(const ScanDetector::Options& o) {
    return o.max_length * 4 + 64;
}

} // namespace

ScanDetector::ScanDetector(Options options) : opt_(options) {
    buffer_.reserve(capacity_for(opt_));
}

ScanDetector::~ScanDetector() {
    wipe(buffer_);
}

void ScanDetector::text(std::string_view utf8, std::int64_t t_ms) {
    if (utf8.empty()) return;
    const bool started = chars_ > 0 || overflow_;
    if (started && t_ms - last_ms_ > opt_.max_gap_ms) {
        // A pause: what came before was typed by a person, or a scan that was cut (said by take_unreadable).
        unreadable_ = unreadable_ || scan_like();
        clear_burst();
    }
    last_ms_ = t_ms;
    const std::size_t n = count_chars(utf8);
    if (overflow_ || chars_ + n > opt_.max_length) {
        // Too long for a scan: keep only the fact (and the timing), not the content.
        overflow_ = true;
        wipe(buffer_);
        chars_ = opt_.max_length + 1;
        return;
    }
    if (buffer_.size() + utf8.size() > buffer_.capacity())
        buffer_.reserve(capacity_for(opt_)); // after a move
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
    } else if (started) {
        unreadable_ = scan_like(); // a scan whose Enter came too late
    }
    clear_burst();
    return result;
}

bool ScanDetector::in_burst(std::int64_t now_ms) const {
    return (chars_ > 0 || overflow_) && now_ms - last_ms_ <= opt_.max_gap_ms;
}

std::int64_t ScanDetector::burst_ms_left(std::int64_t now_ms) const {
    if (!in_burst(now_ms)) return 0;
    return opt_.max_gap_ms - (now_ms - last_ms_) + 1;
}

bool ScanDetector::take_unreadable(std::int64_t now_ms) {
    if (in_burst(now_ms)) return false; // not judged yet
    if (chars_ > 0 || overflow_) {
        unreadable_ = unreadable_ || scan_like(); // no Enter came within the gap
        clear_burst();
    }
    return std::exchange(unreadable_, false);
}

bool ScanDetector::scan_like() const {
    return overflow_ || chars_ >= opt_.min_length;
}

void ScanDetector::clear_burst() {
    wipe(buffer_);
    if (buffer_.capacity() < capacity_for(opt_)) buffer_.reserve(capacity_for(opt_));
    chars_ = 0;
    last_ms_ = 0;
    overflow_ = false;
}

void ScanDetector::reset() {
    clear_burst();
    unreadable_ = false;
}

} // namespace kiosk::core

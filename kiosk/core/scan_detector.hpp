#pragma once
// Tells a 2D barcode scanner in keyboard-wedge mode from a person typing. The scanner "types" the QR text
// far faster than any hand (a few ms per character, often several characters per event) and ends it with
// Enter; the kiosk captures that on any screen, without a focused text box.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::core {

class ScanDetector {
public:
    struct Options {
        // A gap longer than this between two pieces of text ends the burst: what came before was typed by
        // a person (or a scan cut short) and is dropped.
        std::int64_t max_gap_ms = 60;
        // Bursts shorter than this (in characters) ending in Enter are not scans (a stray key + Enter).
        std::size_t min_length = 9;
        // Bursts longer than this are cut (the scan is refused as too long; nothing grows unbounded).
        std::size_t max_length = 4096;
    };

    ScanDetector() : ScanDetector(Options{}) {}
    explicit ScanDetector(Options options);
    ScanDetector(const ScanDetector&) = delete;
    ScanDetector& operator=(const ScanDetector&) = delete;
    ~ScanDetector();

    // Text that arrived at time t_ms (UTF-8, one or more characters; SDL's text-input event).
    void text(std::string_view utf8, std::int64_t t_ms);

    // Enter arrived at t_ms. Returns the scanned text if the burst it ends is a scan: every gap within the
    // burst and the gap to the Enter at most max_gap_ms, at least min_length characters. The burst is
    // consumed either way. A burst cut for being too long gives the string "" (a scan happened, but its
    // content is unusable: the caller shows "not a citizen-ID QR").
    std::optional<std::string> enter(std::int64_t t_ms);

    // True while a burst may be a scan in progress (to hold off treating its keys as anything else, and
    // to keep the loop listening instead of rendering a frame, whose time would look like a gap).
    [[nodiscard]] bool in_burst(std::int64_t now_ms) const;

    // The ms from now_ms until the current burst would end by its gap (0 when there is no burst): how
    // long the loop may wait for the next character.
    [[nodiscard]] std::int64_t burst_ms_left(std::int64_t now_ms) const;

    // True once for each burst that was a scan by its speed and length (at least min_length characters,
    // every gap within max_gap_ms) but ended without a usable Enter: a gap cut it (the scanner stalled, or
    // the loop could not keep up), or no Enter came at all (a scanner set up without its CR suffix). The
    // patient is told to scan again instead of seeing nothing. A burst still within its gap at now_ms is
    // not judged yet; a judged burst is wiped.
    [[nodiscard]] bool take_unreadable(std::int64_t now_ms);

    // Forgets any partial burst (screen change, idle reset: scanned personal data must not linger). The
    // text is overwritten, not only forgotten.
    void reset();

private:
    [[nodiscard]] bool scan_like() const; // the burst so far is fast and long enough to be a scan
    void clear_burst();                   // wipes the burst, keeps unreadable_

    Options opt_;
    std::string buffer_;
    std::size_t chars_ = 0;
    std::int64_t last_ms_ = 0;
    bool overflow_ = false;
    bool unreadable_ = false; // a scan-like burst was cut by a gap and not reported yet
};

} // namespace kiosk::core

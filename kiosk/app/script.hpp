#pragma once
// Scripted sessions: taps, drags and screenshots driven through the real event path, for tests,
// documentation screenshots and benchmarks. One step per line (or separated by ';'); '#' comments.
//   tap <target>            press and release at the centre of a named tap target (e.g. feature.queue);
//                           a target drawn (partly) outside the display fails the script (exit 4)
//   tap-at <x> <y>          press and release at a pixel
//   drag <target> <dy>      press on a target, move dy pixels vertically, release
//   visible <target>        the target is on this screen and wholly inside the display (else exit 4)
//   fits                    every tap target on this screen is inside the display (a list item: its
//                           list) and no button's label is larger than the button (else exit 4)
//   wait <screen> [<s>]     until the flow shows that screen (welcome, choose_service, ticket, ...);
//                           fails after <s> seconds (default 10)
//   wait-sync               until the HIS acknowledged every record (online, nothing waiting)
//   wait-file <path>        until <path> exists (a test hands over: it has done its part outside)
//   sleep <ms>              let time pass (the loop keeps sleeping in SDL_WaitEventTimeout)
//   screenshot <file.png>   write the current screen as PNG
//   measure <frames>        render that many frames and print the ImGui CPU time per frame
//   slow-frames <ms>        from now on every frame takes <ms> longer (a slow renderer or a busy PC)
//   scan <text>             a barcode scanner in keyboard-wedge mode types <text> fast, then Enter
//   scan-without-enter <text>  the same from a scanner set up without its Enter (CR) suffix
//   keys <gap-ms> <text>    a person types <text> on a keyboard, one key every gap-ms, then Enter
//   type <text>             taps the on-screen keyboard's keys for <text> (a-z 0-9 space , . / -;
//                           capitals through the shift key)
//   quit                    exit with status 0
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::app {

struct ScriptStep {
    enum class Kind {
        Tap,
        TapAt,
        Drag,
        Visible,
        Fits,
        Wait,
        WaitSync,
        WaitFile,
        Sleep,
        Screenshot,
        Measure,
        SlowFrames,
        Keys,
        Quit
    };
    Kind kind = Kind::Quit;
    std::string arg; // target, screen or file
    float x = 0, y = 0;
    int count = 0; // ms for sleep and slow-frames, frames for measure, dy for drag, gap ms for keys,
                   // seconds for wait
    int line = 0;
    bool enter = true; // keys/scan: Enter after the text
};

struct ScriptParse {
    std::vector<ScriptStep> steps;
    std::vector<std::string> errors; // "source:line: message"
};

ScriptParse parse_script(std::string_view text, const std::string& source);

} // namespace kiosk::app

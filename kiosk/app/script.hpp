#pragma once
// Scripted sessions: taps, drags and screenshots driven through the real event path, for tests,
// documentation screenshots and benchmarks. One step per line (or separated by ';'); '#' comments.
//   tap <target>            press and release at the centre of a named tap target (e.g. feature.queue)
//   tap-at <x> <y>          press and release at a pixel
//   drag <target> <dy>      press on a target, move dy pixels vertically, release
//   wait <screen>           until the flow shows that screen (welcome, choose_service, ticket, ...)
//   wait-sync               until the HIS acknowledged every record (online, nothing waiting)
//   wait-file <path>        until <path> exists (a test hands over: it has done its part outside)
//   sleep <ms>              let time pass (the loop keeps sleeping in SDL_WaitEventTimeout)
//   screenshot <file.png>   write the current screen as PNG
//   measure <frames>        render that many frames and print the ImGui CPU time per frame
//   scan <text>             a barcode scanner in keyboard-wedge mode types <text> fast, then Enter
//   keys <gap-ms> <text>    a person types <text> on a keyboard, one key every gap-ms, then Enter
//   type <text>             taps the on-screen keyboard's keys for <text> (a-z 0-9 space , . / -;
//                           capitals through the shift key)
//   quit                    exit with status 0
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::app {

struct ScriptStep {
    enum class Kind { Tap, TapAt, Drag, Wait, WaitSync, WaitFile, Sleep, Screenshot, Measure, Keys, Quit };
    Kind kind = Kind::Quit;
    std::string arg; // target, screen or file
    float x = 0, y = 0;
    int count = 0; // ms for sleep, frames for measure, dy for drag, gap ms for keys
    int line = 0;
};

struct ScriptParse {
    std::vector<ScriptStep> steps;
    std::vector<std::string> errors; // "source:line: message"
};

ScriptParse parse_script(std::string_view text, const std::string& source);

} // namespace kiosk::app

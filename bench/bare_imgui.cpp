// bare_imgui: the baseline for kiosk_bench. A bare SDL2 + Dear ImGui program that opens the same window
// as the kiosk, with the same renderer and the same fonts (kiosk/ui/theme.cpp is compiled in, so the
// atlas is built by the same code: Noto Sans Regular + Bold at the four kiosk sizes, FreeType builder,
// Vietnamese ranges), and draws one window with a few lines of text and a button. No config, no SQLite,
// no catalogs, no worker thread: whatever the kiosk costs beyond this program is the kiosk's own.
//
//   bare_imgui [--headless] [--windowed WxH] [--announce-ready] [--measure N]
//     --announce-ready  print "BARE_READY <ms since main>" after the first SDL_RenderPresent
//     --measure N       render N frames back to back, print "BARE_MEASURE frames=N imgui_cpu_ms_mean=..
//                       p50=.. p99=.. frame_ms_mean=.. ..." (kiosk/app/frame_stats.hpp: ImGui CPU =
//                       NewFrame..Render, frame = build + render + present, as the kiosk measures them), exit
//   Otherwise it runs an event-driven loop (SDL_WaitEventTimeout, like the kiosk) until SIGTERM/SDL_QUIT.
#include "kiosk/app/frame_stats.hpp"
#include "kiosk/ui/theme.hpp"

#include <SDL.h>
#include <imgui.h>
#include <imgui_impl_sdl.h>
#include <imgui_impl_sdlrenderer.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using kiosk::app::ms_between;

constexpr const char* kRegular = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf";
constexpr const char* kBold = "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf";

struct Args {
    bool headless = false;
    bool announce_ready = false;
    int w = 1920, h = 1080;
    bool windowed = false;
    int measure = 0; // frames; 0: run until quit
};

int usage(const char* why) {
    std::fprintf(stderr,
                 "bare_imgui: %s\nusage: bare_imgui [--headless] [--windowed WxH] [--announce-ready] "
                 "[--measure N]\n",
                 why);
    return 2;
}

bool parse_int(std::string_view s, int& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

bool parse_size(std::string_view s, int& w, int& h) {
    const auto x = s.find('x');
    return x != std::string_view::npos && parse_int(s.substr(0, x), w) && parse_int(s.substr(x + 1), h) &&
           w >= 320 && h >= 320;
}

class BareApp {
public:
    explicit BareApp(const Args& args, Clock::time_point start) : args_(args), start_(start) {}
    ~BareApp();
    BareApp(const BareApp&) = delete;
    BareApp& operator=(const BareApp&) = delete;

    bool init();
    int run();

private:
    void frame();
    void print_measure() const;

    const Args& args_;
    Clock::time_point start_;
    SDL_Window* window_ = nullptr;
    SDL_Renderer* renderer_ = nullptr;
    bool imgui_ready_ = false;
    kiosk::ui::FontSet fonts_;
    bool running_ = true;
    bool announced_ = false;
    int frames_pending_ = 3; // as the kiosk: a few frames after start and after each event
    int taps_ = 0;
    double last_frame_cpu_ms_ = 0;
    double last_frame_ms_ = 0;
    std::vector<kiosk::app::FrameSample> measured_;
    Clock::time_point measure_first_at_;
};

BareApp::~BareApp() {
    if (imgui_ready_) {
        ImGui_ImplSDLRenderer_Shutdown();
        ImGui_ImplSDL2_Shutdown();
        ImGui::DestroyContext();
    }
    if (renderer_) SDL_DestroyRenderer(renderer_);
    if (window_) SDL_DestroyWindow(window_);
    SDL_Quit();
}

bool BareApp::init() {
    // Same hints, flags, size and renderer choice as Shell::create_window() (kiosk/app/shell.cpp).
    if (args_.headless) {
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "offscreen");
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0"); // as the kiosk: no Mesa probe
    }
    SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "1");
    SDL_SetHint(SDL_HINT_MOUSE_TOUCH_EVENTS, "0");
    SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        std::fprintf(stderr, "bare_imgui: SDL_Init: %s\n", SDL_GetError());
        return false;
    }
    Uint32 flags = SDL_WINDOW_SHOWN | SDL_WINDOW_ALLOW_HIGHDPI;
    if (!args_.windowed && !args_.headless) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP | SDL_WINDOW_BORDERLESS;
    window_ = SDL_CreateWindow("Bare ImGui", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, args_.w, args_.h,
                               flags);
    if (!window_) {
        std::fprintf(stderr, "bare_imgui: SDL_CreateWindow: %s\n", SDL_GetError());
        return false;
    }
    if (!args_.headless)
        renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!renderer_) renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_SOFTWARE);
    if (!renderer_) {
        std::fprintf(stderr, "bare_imgui: SDL_CreateRenderer: %s\n", SDL_GetError());
        return false;
    }

    IMGUI_CHECKVERSION();
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(renderer_, &w, &h);
    const float em = kiosk::ui::base_font_px(w, h, 1.0f);
    try {
        fonts_.build(kRegular, kBold, em, {});
    } catch (const kiosk::ui::FontError& e) {
        std::fprintf(stderr, "bare_imgui: %s\n", e.what());
        return false;
    }
    ImGui::CreateContext(fonts_.atlas());
    imgui_ready_ = true;
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.LogFilename = nullptr;
    io.FontDefault = fonts_.fonts().body;
    kiosk::ui::apply_kiosk_style(ImGui::GetStyle(), em);
    ImGui_ImplSDL2_InitForSDLRenderer(window_);
    ImGui_ImplSDLRenderer_Init(renderer_);
    return true;
}

void BareApp::frame() {
    const auto frame_start = Clock::now();
    ImGui_ImplSDLRenderer_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    ImGuiIO& io = ImGui::GetIO();
    const kiosk::ui::Fonts& f = fonts_.fonts();

    const auto t0 = Clock::now();
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(io.DisplaySize);
    ImGui::Begin("bare", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                     ImGuiWindowFlags_NoBringToFrontOnFocus);
    ImGui::PushFont(f.title);
    ImGui::TextUnformatted("Bệnh viện Đa khoa Tỉnh (Demo)");
    ImGui::PopFont();
    ImGui::TextUnformatted("Chào mừng quý khách. Vui lòng chạm để lấy số thứ tự.");
    ImGui::TextUnformatted("Welcome. Please touch the screen to take a queue ticket.");
    ImGui::PushFont(f.button);
    if (ImGui::Button("Lấy số thứ tự / Queue ticket", ImVec2(f.em * 16, f.em * 3))) ++taps_;
    ImGui::PopFont();
    ImGui::PushFont(f.huge);
    ImGui::Text("AA-%03d", taps_ % 1000);
    ImGui::PopFont();
    ImGui::End();
    ImGui::Render();
    last_frame_cpu_ms_ = ms_between(t0, Clock::now());

    SDL_SetRenderDrawColor(renderer_, 247, 250, 252, 255);
    SDL_RenderClear(renderer_);
    ImGui_ImplSDLRenderer_RenderDrawData(ImGui::GetDrawData());
    SDL_RenderPresent(renderer_);
    last_frame_ms_ = ms_between(frame_start, Clock::now());

    if (!announced_) {
        announced_ = true;
        if (args_.announce_ready) {
            std::printf("BARE_READY %.3f\n", ms_between(start_, Clock::now()));
            std::fflush(stdout);
        }
    }
}

void BareApp::print_measure() const {
    const double wall =
        ms_between(measure_first_at_, Clock::now()) / static_cast<double>(measured_.size() - 1);
    // The first sample only starts the wall clock, as the kiosk's measure step does.
    const std::vector<kiosk::app::FrameSample> v(measured_.begin() + 1, measured_.end());
    std::printf("%s\n", kiosk::app::measure_line("BARE_MEASURE", "", v, wall).c_str());
    std::fflush(stdout);
}

int BareApp::run() {
    const int warmup = 3; // the frames after start, which the kiosk's measure step never sees either
    int rendered = 0;
    while (running_) {
        SDL_Event e;
        // Event-driven, as the kiosk: sleep in SDL until an event (the kiosk also wakes once a minute).
        const int timeout = frames_pending_ > 0 || args_.measure > 0 ? 0 : 60'000;
        if (SDL_WaitEventTimeout(&e, timeout)) {
            do {
                ImGui_ImplSDL2_ProcessEvent(&e);
                if (e.type == SDL_QUIT) running_ = false;
                frames_pending_ = std::max(frames_pending_, 3);
            } while (SDL_PollEvent(&e));
        }
        if (!running_) break;
        if (frames_pending_ > 0 || args_.measure > 0) {
            frame();
            ++rendered;
            if (frames_pending_ > 0) --frames_pending_;
            if (args_.measure > 0 && rendered > warmup) {
                if (measured_.empty()) measure_first_at_ = Clock::now();
                measured_.push_back({last_frame_cpu_ms_, last_frame_ms_});
                if (static_cast<int>(measured_.size()) >= args_.measure + 1) {
                    print_measure();
                    running_ = false;
                }
            }
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const auto start = Clock::now();
    Args args;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--headless") {
            args.headless = true;
        } else if (a == "--announce-ready") {
            args.announce_ready = true;
        } else if (a == "--windowed" && i + 1 < argc) {
            if (!parse_size(argv[++i], args.w, args.h)) return usage("--windowed wants WxH, e.g. 1920x1080");
            args.windowed = true;
        } else if (a == "--measure" && i + 1 < argc) {
            if (!parse_int(argv[++i], args.measure) || args.measure < 1)
                return usage("--measure wants a frame count");
        } else {
            return usage(("unknown argument " + std::string(a)).c_str());
        }
    }
    BareApp app(args, start);
    if (!app.init()) return 3;
    return app.run();
}

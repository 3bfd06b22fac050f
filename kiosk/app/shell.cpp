#include "kiosk/app/shell.hpp"

#include "kiosk/app/sdl_draw.hpp"

#include <fcntl.h>
#include <imgui.h>
#include <imgui_impl_sdl.h>
#include <imgui_impl_sdlrenderer.h>
#include <spdlog/spdlog.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <system_error>
#include <thread>

namespace kiosk::app {
namespace {

using Ms = std::chrono::milliseconds;

void append_bytes(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<unsigned char>*>(context);
    const auto* bytes = static_cast<const unsigned char*>(data);
    out->insert(out->end(), bytes, bytes + size);
}

// Writes the screen as a PNG; returns what went wrong (for the person who asked for it), or nothing.
// Every write is checked down to the close: a full disk or /dev/full must not pass as a screenshot.
std::optional<std::string> save_png(SDL_Renderer* renderer, const std::filesystem::path& file) {
    const std::string name = file.string();
    int w = 0, h = 0;
    if (SDL_GetRendererOutputSize(renderer, &w, &h) != 0)
        return "cannot read the screen size for screenshot " + name + ": " + SDL_GetError();
    std::vector<unsigned char> px(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 4);
    if (SDL_RenderReadPixels(renderer, nullptr, SDL_PIXELFORMAT_RGBA32, px.data(), w * 4) != 0)
        return "cannot read the screen for screenshot " + name + ": " + SDL_GetError();
    std::vector<unsigned char> png;
    if (!stbi_write_png_to_func(append_bytes, &png, w, h, 4, px.data(), w * 4))
        return "cannot encode screenshot " + name + " as PNG";
    std::error_code ec;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) return "cannot create the folder of screenshot " + name + ": " + ec.message();
    errno = 0;
    std::FILE* f = std::fopen(name.c_str(), "wb");
    if (!f) return "cannot write screenshot " + name + ": " + std::strerror(errno ? errno : EIO);
    const bool written = std::fwrite(png.data(), 1, png.size(), f) == png.size() && std::fflush(f) == 0;
    const int write_errno = errno;
    const bool closed = std::fclose(f) == 0;
    if (!written || !closed)
        return "cannot write screenshot " + name + ": " +
               std::strerror(write_errno ? write_errno
                             : errno     ? errno
                                         : EIO);
    return std::nullopt;
}

} // namespace

Shell::Shell(Setup setup, const Options& options) : setup_(std::move(setup)), options_(options) {}

Shell::~Shell() {
    if (imgui_ready_) {
        ImGui_ImplSDLRenderer_Shutdown();
        ImGui_ImplSDL2_Shutdown();
        ImGui::DestroyContext();
    }
    if (renderer_) SDL_DestroyRenderer(renderer_);
    if (window_) SDL_DestroyWindow(window_);
    if (sdl_ready_) SDL_Quit();
}

void Shell::init_sdl() {
    if (options_.headless) {
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "offscreen");
        // The software renderer needs no GL: without this SDL loads Mesa (~60 ms, ~100 MB) to probe it.
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    }
    SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "1"); // a tap arrives as a left click
    SDL_SetHint(SDL_HINT_MOUSE_TOUCH_EVENTS, "0");
    SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0)
        throw StartupError(std::string("cannot open the display (SDL: ") + SDL_GetError() +
                           "); is a display attached, or run with --headless");
    sdl_ready_ = true;
    wake_event_ = SDL_RegisterEvents(1);
}

Options::Size Shell::expected_size() const {
    if (options_.windowed) return *options_.windowed;
    SDL_DisplayMode mode{};
    if (!options_.headless && SDL_GetDesktopDisplayMode(0, &mode) == 0) return {mode.w, mode.h};
    return {1920, 1080};
}

void Shell::create_window(Options::Size size) {
    Uint32 flags = SDL_WINDOW_SHOWN | SDL_WINDOW_ALLOW_HIGHDPI;
    if (!options_.windowed && !options_.headless)
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP | SDL_WINDOW_BORDERLESS;
    window_ =
        SDL_CreateWindow("Kiosk", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, size.w, size.h, flags);
    if (!window_) throw StartupError(std::string("cannot create the window: ") + SDL_GetError());
    // SDL_Renderer: GPU-accelerated where the kiosk has a driver, software otherwise (and headless), and
    // SDL_RenderReadPixels gives screenshots on both.
    if (!options_.headless)
        renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!renderer_) renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_SOFTWARE);
    if (!renderer_) throw StartupError(std::string("cannot create a renderer: ") + SDL_GetError());
    if (!options_.windowed && !options_.headless) SDL_ShowCursor(SDL_DISABLE);
    SDL_RendererInfo info{};
    SDL_GetRendererInfo(renderer_, &info);
    spdlog::info("video driver {}, renderer {}", SDL_GetCurrentVideoDriver(), info.name);
}

void Shell::build_fonts(float em, const std::vector<std::string>& glyph_texts) {
    try {
        fonts_.build(setup_.font_regular, setup_.font_bold, em, glyph_texts);
    } catch (const ui::FontError& e) {
        throw StartupError(e.what());
    }
}

void Shell::init_imgui(float built_em, const std::vector<std::string>& glyph_texts) {
    IMGUI_CHECKVERSION();
    ImGui::CreateContext(fonts_.atlas());
    imgui_ready_ = true;
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr; // a kiosk keeps no window layout
    io.LogFilename = nullptr;
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(renderer_, &w, &h);
    const ui::BaseFont base = ui::base_font(w, h, setup_.ui_scale);
    const float em = base.px;
    if (em != built_em)
        build_fonts(em, glyph_texts); // the screen is not the size SDL announced: rebuild to fit
    io.FontDefault = fonts_.fonts().body;
    ui::apply_kiosk_style(ImGui::GetStyle(), em);
    ImGui_ImplSDL2_InitForSDLRenderer(window_);
    ImGui_ImplSDLRenderer_Init(renderer_);
    const ImFontAtlas* atlas = fonts_.atlas();
    spdlog::info("screen {}x{}, font {} px (rasterised up to {} px, atlas {}x{})", w, h, em,
                 fonts_.raster_px(fonts_.fonts().huge), atlas->TexWidth, atlas->TexHeight);
    if (base.clamped())
        spdlog::warn("ui_scale {} asks for {} px text, more than a {}x{} screen can hold: the kiosk uses {} "
                     "px, as ui_scale {:.2f} would",
                     setup_.ui_scale, base.requested_px, w, h, em, setup_.ui_scale * em / base.requested_px);
}

void Shell::inject_button(Uint32 type, ImVec2 at) {
    SDL_Event e{};
    e.type = type;
    e.button.button = SDL_BUTTON_LEFT;
    e.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
    e.button.clicks = 1;
    e.button.which = SDL_TOUCH_MOUSEID; // as SDL reports a finger
    e.button.windowID = SDL_GetWindowID(window_);
    e.button.x = static_cast<Sint32>(at.x);
    e.button.y = static_cast<Sint32>(at.y);
    SDL_PushEvent(&e);
}

void Shell::finger_move(ImVec2 at) {
    SDL_Event e{};
    e.type = SDL_MOUSEMOTION;
    e.motion.which = SDL_TOUCH_MOUSEID;
    e.motion.windowID = SDL_GetWindowID(window_);
    e.motion.state = SDL_BUTTON_LMASK;
    e.motion.x = static_cast<Sint32>(at.x);
    e.motion.y = static_cast<Sint32>(at.y);
    SDL_PushEvent(&e);
}

void Shell::text_input(std::string_view utf8) {
    SDL_Event e{};
    e.type = SDL_TEXTINPUT;
    e.text.windowID = SDL_GetWindowID(window_);
    const std::size_t n = std::min(utf8.size(), sizeof e.text.text - 1);
    std::memcpy(e.text.text, utf8.data(), n);
    SDL_PushEvent(&e);
}

void Shell::enter_key() {
    SDL_Event e{};
    e.type = SDL_KEYDOWN;
    e.key.windowID = SDL_GetWindowID(window_);
    e.key.state = SDL_PRESSED;
    e.key.keysym.sym = SDLK_RETURN;
    e.key.keysym.scancode = SDL_SCANCODE_RETURN;
    SDL_PushEvent(&e);
    e.type = SDL_KEYUP;
    e.key.state = SDL_RELEASED;
    SDL_PushEvent(&e);
}

void Shell::stop(int exit_code) {
    exit_code_ = exit_code;
    running_ = false;
}

void Shell::wake() {
    SDL_Event e{};
    e.type = wake_event_;
    SDL_PushEvent(&e);
}

ImVec2 Shell::display_size() const {
    return ImGui::GetIO().DisplaySize;
}

void Shell::handle_event(ShellApp& app, const SDL_Event& e) {
    ImGui_ImplSDL2_ProcessEvent(&e);
    bool input = true;
    switch (e.type) {
    case SDL_QUIT:
        running_ = false;
        break;
    case SDL_MOUSEMOTION:
        pointer_.move(static_cast<float>(e.motion.x), static_cast<float>(e.motion.y));
        break;
    case SDL_MOUSEBUTTONDOWN:
        if (e.button.button == SDL_BUTTON_LEFT)
            pointer_.press(static_cast<float>(e.button.x), static_cast<float>(e.button.y),
                           e.button.which == SDL_TOUCH_MOUSEID);
        break;
    case SDL_MOUSEBUTTONUP:
        if (e.button.button == SDL_BUTTON_LEFT)
            pointer_.release(static_cast<float>(e.button.x), static_cast<float>(e.button.y));
        break;
    case SDL_TEXTINPUT:
        scanner_.text(e.text.text, e.text.timestamp);
        break;
    case SDL_KEYDOWN:
        if (e.key.keysym.sym == SDLK_RETURN || e.key.keysym.sym == SDLK_KP_ENTER) {
            if (auto text = scanner_.enter(e.key.timestamp)) app.on_scan(*text); // the app wipes it
        }
        break;
    case SDL_MOUSEWHEEL:
    case SDL_KEYUP:
    case SDL_FINGERDOWN:
    case SDL_FINGERMOTION:
    case SDL_FINGERUP:
        break;
    default:
        input = false;
        break;
    }
    if (input) app.on_input();
    redraw(3);
}

int Shell::wait_timeout_ms(const ShellApp& app) const {
    const bool scripted = script_ && script_->active();
    // During a scan: wait for its next character, or until its gap has passed (no frame meanwhile).
    if (const auto left = scanner_.burst_ms_left(static_cast<std::int64_t>(SDL_GetTicks())); left > 0)
        return static_cast<int>(scripted ? std::min<std::int64_t>(left, 2) : left);
    if (frames_pending_ > 0 || pointer_.settling()) return 0;
    if (scripted) return 5;
    return static_cast<int>(app.wake_in_ms());
}

void Shell::frame(ShellApp& app) {
    const auto frame_start = Clock::now();
    ImGui_ImplSDLRenderer_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    ImGuiIO& io = ImGui::GetIO();
    pointer_.apply(io);

    const auto t0 = Clock::now();
    ImGui::NewFrame();
    app.draw(fonts_.fonts(), targets_, io.DisplaySize);
    ImGui::Render();
    last_frame_cpu_ms_ = ms_between(t0, Clock::now());

    SDL_SetRenderDrawColor(renderer_, 247, 250, 252, 255);
    SDL_RenderClear(renderer_);
    render_draw_data(renderer_, ImGui::GetDrawData()); // sdl_draw.hpp: cheaper on the software renderer
    if (screenshot_request_) {
        if (const auto failed = save_png(renderer_, *screenshot_request_)) {
            if (script_) script_->fail(*failed);
        } else {
            spdlog::info("screenshot written to {}", screenshot_request_->string());
        }
        screenshot_request_.reset();
    }
    SDL_RenderPresent(renderer_);
    last_frame_ms_ = ms_between(frame_start, Clock::now());
    if (slow_frame_ms_ > 0) std::this_thread::sleep_for(Ms(slow_frame_ms_)); // script: slow-frames

    if (!ready_announced_) {
        ready_announced_ = true;
        const double ms = ms_between(options_.process_start, Clock::now());
        spdlog::info("ready: first interactive frame {:.1f} ms after start", ms);
        if (options_.announce_ready) {
            std::printf("KIOSK_READY %.3f\n", ms);
            std::fflush(stdout);
        }
    }
    app.after_frame();
}

void Shell::open(const std::vector<std::string>& glyph_texts) {
    init_sdl();
    // The font atlas (the slowest step) is built on its own thread while the window and renderer come up.
    const Options::Size size = expected_size();
    const float em = ui::base_font_px(size.w, size.h, setup_.ui_scale);
    auto fonts_built =
        std::async(std::launch::async, [this, em, &glyph_texts] { build_fonts(em, glyph_texts); });
    try {
        create_window(size);
    } catch (...) {
        fonts_built.wait();
        throw;
    }
    window_at_ = Clock::now();
    fonts_built.get();
    init_imgui(em, glyph_texts);
    fonts_at_ = Clock::now();
}

int Shell::run(ShellApp& app, const std::function<std::size_t()>& drain, ScriptDriver* script) {
    script_ = script;
    app.set_shell(ShellHooks{[this](int frames) { redraw(frames); }, [this] { scanner_.reset(); }});
    SDL_StartTextInput(); // the barcode scanner types as a keyboard; no text box has the focus
    while (running_) {
        SDL_Event e;
        if (SDL_WaitEventTimeout(&e, wait_timeout_ms(app))) {
            handle_event(app, e);
            while (SDL_PollEvent(&e))
                handle_event(app, e);
        }
        if (drain() > 0) redraw(3);
        app.tick(pointer_.down());
        const auto now_ticks = static_cast<std::int64_t>(SDL_GetTicks());
        if (scanner_.take_unreadable(now_ticks)) app.on_unreadable_scan();
        // While a scan is arriving the loop only listens: the time a frame takes would look like a pause
        // between two characters and cut the scan. The frame follows once the burst ends (at most 60 ms).
        if (!scanner_.in_burst(now_ticks) && (frames_pending_ > 0 || pointer_.settling())) {
            frame(app);
            if (frames_pending_ > 0) --frames_pending_;
        }
        if (script_) script_->tick();
    }
    script_ = nullptr;
    return exit_code_;
}

} // namespace kiosk::app

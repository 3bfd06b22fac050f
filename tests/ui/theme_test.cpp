// The font atlas at the extremes of ui_scale on portrait and landscape screens up to 4K: every glyph within
// what Dear ImGui 1.86's FreeType builder can render (256 KiB scratch chunks, RGBA32), fonts drawn at their
// full size, and the text size clamped to what the screens can hold.
#include "kiosk/ui/screens.hpp"
#include "kiosk/ui/theme.hpp"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>

using namespace kiosk::ui;

namespace {

const std::filesystem::path kRegular = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf";
const std::filesystem::path kBold = "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf";

// libimgui.a comes from Debian, not built with ASan, so ASan cannot see a write past a block inside it.
// ImGui's allocator hooks (which its FreeType builder allocates through) put every large block flush
// against an inaccessible page instead: writing one byte past it is a SIGSEGV at the write.
struct GuardPages {
    std::mutex mutex;
    std::map<void*, std::pair<void*, std::size_t>> blocks; // user pointer -> mapping
};
GuardPages& guard_pages() {
    static GuardPages g;
    return g;
}
constexpr std::size_t kGuardFrom = 64 * 1024;

void* guarded_alloc(std::size_t size, void*) {
    if (size < kGuardFrom) return std::malloc(size);
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t rounded = (size + 15) / 16 * 16; // keep ImGui's 16-byte alignment
    const std::size_t pages = (rounded + page - 1) / page;
    const std::size_t len = (pages + 1) * page;
    void* base = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return nullptr;
    char* guard = static_cast<char*>(base) + pages * page;
    mprotect(guard, page, PROT_NONE);
    void* user = guard - rounded;
    std::lock_guard lock(guard_pages().mutex);
    guard_pages().blocks[user] = {base, len};
    return user;
}

void guarded_free(void* p, void*) {
    if (!p) return;
    {
        std::lock_guard lock(guard_pages().mutex);
        auto& blocks = guard_pages().blocks;
        if (const auto it = blocks.find(p); it != blocks.end()) {
            munmap(it->second.first, it->second.second);
            blocks.erase(it);
            return;
        }
    }
    std::free(p);
}

void* plain_alloc(std::size_t size, void*) {
    return std::malloc(size);
}
void plain_free(void* p, void*) {
    std::free(p);
}

// The glyphs the kiosk builds its fonts with: the catalogs and the example site.
std::vector<std::string> kiosk_texts() {
    const Catalogs catalogs = Catalogs::load(std::filesystem::path(KIOSK_SOURCE_DIR) / "assets");
    SiteView site;
    site.hospital_name = "Bệnh viện Đa khoa Tỉnh (Demo)";
    site.hospital_name_en = "Provincial General Hospital (Demo)";
    site.kiosk_id = "SANH-A-01";
    site.services = {{"KBH", "A", "Khám bảo hiểm y tế", "Insurance consultation"},
                     {"XN", "X", "Xét nghiệm – lấy máu", "Laboratory – blood test"}};
    return texts_for_glyphs(catalogs, site);
}

struct Built {
    float em = 0;
    int tex_w = 0, tex_h = 0;
    int largest_glyph = 0;
    std::map<std::string, std::pair<float, float>> sizes; // font -> drawn, rasterised
};

// What FontSet::build produced at em, checked inside the build process (a death test's child, so that a
// write past a block kills only the child and fails the test with the signal).
enum class Texture { Any, AtMost4096 };
void build_and_check(float em, Texture texture) {
    ImGui::SetAllocatorFunctions(guarded_alloc, guarded_free);
    {
        FontSet set;
        set.build(kRegular, kBold, em, kiosk_texts());
        const Fonts& f = set.fonts();
        const ImFontAtlas* atlas = set.atlas();
        bool ok = set.largest_glyph_pixels() <= kMaxGlyphBitmapPixels;
        if (texture == Texture::AtMost4096) ok = ok && atlas->TexWidth <= 4096 && atlas->TexHeight <= 4096;
        for (const auto& [font, drawn] :
             {std::pair{f.body, em}, std::pair{f.button, std::round(em * 1.3f)},
              std::pair{f.title, std::round(em * 1.6f)}, std::pair{f.huge, std::round(em * 4.5f)}})
            ok = ok && font->FontSize == drawn && set.raster_px(font) <= drawn;
        if (!ok) std::exit(3);
    }
    ImGui::SetAllocatorFunctions(plain_alloc, plain_free);
    std::exit(0);
}

Built build(float em) {
    FontSet set;
    set.build(kRegular, kBold, em, kiosk_texts());
    Built b;
    b.em = em;
    b.tex_w = set.atlas()->TexWidth;
    b.tex_h = set.atlas()->TexHeight;
    b.largest_glyph = set.largest_glyph_pixels();
    const Fonts& f = set.fonts();
    for (const auto& [name, font] : {std::pair{"body", f.body}, std::pair{"button", f.button},
                                     std::pair{"title", f.title}, std::pair{"huge", f.huge}})
        b.sizes[name] = {font->FontSize, set.raster_px(font)};
    return b;
}

struct ScreenSize {
    int w, h;
};
constexpr ScreenSize kScreens[] = {{1080, 1920}, {1920, 1080}, {2160, 3840}, {3840, 2160}};
constexpr float kScales[] = {0.5f, 3.0f};

} // namespace

TEST(FontCap, DerivedFromTheFontFilesGlyphBoxes) {
    FontSet probe; // only for the glyph ranges the kiosk builds with
    ImFontGlyphRangesBuilder builder;
    builder.AddRanges(probe.atlas()->GetGlyphRangesVietnamese());
    for (const auto& t : kiosk_texts())
        builder.AddText(t.c_str(), t.c_str() + t.size());
    ImVector<ImWchar> ranges;
    builder.BuildRanges(&ranges);
    for (const auto& file : {kRegular, kBold}) {
        const auto boxes = glyph_boxes(file, ranges);
        ASSERT_GT(boxes.size(), 200u) << file;
        const float cap = max_raster_px(boxes, 10000.0f);
        std::cout << file.filename().string() << ": largest rasterised size " << cap << " px\n";
        // The cap is the largest size whose every glyph fits, and the next size does not.
        for (const GlyphBox& b : boxes) {
            const ImVec2 bm = glyph_bitmap_bound(b, cap);
            EXPECT_LE(bm.x * bm.y, static_cast<float>(kMaxGlyphBitmapPixels)) << b.codepoint;
        }
        EXPECT_LT(max_raster_px(boxes, cap + 1), cap + 1);
        // Noto Sans at the huge ticket number of the issue (em 116: 522 px) would not fit.
        EXPECT_LT(cap, 522.0f);
    }
}

TEST(FontCap, BoundHoldsForWhatFreeTypeRenders) {
    // The glyph bitmaps the builder actually made are within the bound the cap is computed from.
    FontSet set;
    set.build(kRegular, kBold, 60.0f, kiosk_texts());
    ImFontGlyphRangesBuilder builder;
    builder.AddRanges(set.atlas()->GetGlyphRangesVietnamese());
    for (const auto& t : kiosk_texts())
        builder.AddText(t.c_str(), t.c_str() + t.size());
    ImVector<ImWchar> ranges;
    builder.BuildRanges(&ranges);
    std::map<ImWchar, GlyphBox> bold;
    for (const GlyphBox& b : glyph_boxes(kBold, ranges))
        bold[b.codepoint] = b;
    const ImFont* title = set.fonts().title;
    const ImFontAtlas* atlas = set.atlas();
    int checked = 0;
    for (const ImFontGlyph& g : title->Glyphs) {
        const auto it = bold.find(static_cast<ImWchar>(g.Codepoint));
        if (it == bold.end()) continue;
        const float w = std::round((g.U1 - g.U0) * static_cast<float>(atlas->TexWidth));
        const float h = std::round((g.V1 - g.V0) * static_cast<float>(atlas->TexHeight));
        const ImVec2 bound = glyph_bitmap_bound(it->second, set.raster_px(title));
        EXPECT_LE(w, bound.x) << "U+" << std::hex << g.Codepoint;
        EXPECT_LE(h, bound.y) << "U+" << std::hex << g.Codepoint;
        ++checked;
    }
    EXPECT_GT(checked, 200);
}

// The size at which the 1080x1920 kiosk at ui_scale 3.0 overflowed the builder's chunk (em 116),
// and the 2160x3840 one at 1.3 (em 100): the atlas builds, every glyph within a chunk.
TEST(FontAtlasDeathTest, BuildsAtTheSizesThatOverflowed) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    for (const float em : {116.0f, 100.0f})
        EXPECT_EXIT(build_and_check(em, Texture::Any), ::testing::ExitedWithCode(0), "") << "em " << em;
}

TEST(FontAtlasDeathTest, BuildsAtTheExtremesOfUiScaleOnEveryScreen) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    for (const ScreenSize s : kScreens)
        for (const float scale : kScales) {
            const float em = base_font_px(s.w, s.h, scale);
            EXPECT_EXIT(build_and_check(em, Texture::AtMost4096), ::testing::ExitedWithCode(0), "")
                << s.w << "x" << s.h << " ui_scale " << scale << " em " << em;
        }
}

TEST(FontAtlas, SizesAndTexturesAtTheExtremes) {
    for (const ScreenSize s : kScreens)
        for (const float scale : kScales) {
            const Built b = build(base_font_px(s.w, s.h, scale));
            std::cout << s.w << "x" << s.h << " ui_scale " << scale << ": em " << b.em << ", atlas "
                      << b.tex_w << "x" << b.tex_h << ", largest glyph " << b.largest_glyph << " px;";
            for (const auto& [name, sz] : b.sizes)
                std::cout << " " << name << " " << sz.first << "/" << sz.second;
            std::cout << " (drawn/rasterised)\n";
            EXPECT_LE(b.largest_glyph, kMaxGlyphBitmapPixels);
            EXPECT_LE(b.tex_w, 4096);
            EXPECT_LE(b.tex_h, 4096);
            EXPECT_EQ(b.sizes.at("huge").first, std::round(b.em * 4.5f)); // drawn at full size
        }
}

TEST(BaseFont, ClampsUiScaleToWhatTheScreenHolds) {
    for (const ScreenSize s : kScreens) {
        const float short_side = static_cast<float>(std::min(s.w, s.h));
        const BaseFont small = base_font(s.w, s.h, 0.5f);
        EXPECT_FALSE(small.clamped());
        EXPECT_EQ(small.px, std::round(short_side / 28.0f * 0.5f));
        const BaseFont big = base_font(s.w, s.h, 3.0f);
        EXPECT_TRUE(big.clamped()) << s.w << "x" << s.h;
        EXPECT_LE(big.px * kEmAcrossShortSide, short_side);
        EXPECT_GT(big.requested_px, big.px);
        EXPECT_FALSE(base_font(s.w, s.h, 1.0f).clamped()) << s.w << "x" << s.h;
    }
    EXPECT_EQ(base_font_px(1080, 1920, 3.0f), base_font(1080, 1920, 3.0f).px);
}

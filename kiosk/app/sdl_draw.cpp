#include "kiosk/app/sdl_draw.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace kiosk::app {
namespace sdl_draw {
namespace {

bool same_uv(ImVec2 a, ImVec2 b) {
    return a.x == b.x && a.y == b.y;
}

std::uint32_t color_bits(const ImDrawVert& v) {
    return v.col;
}

SDL_Color sdl_color(ImU32 c) {
    return SDL_Color{static_cast<Uint8>(c >> IM_COL32_R_SHIFT), static_cast<Uint8>(c >> IM_COL32_G_SHIFT),
                     static_cast<Uint8>(c >> IM_COL32_B_SHIFT), static_cast<Uint8>(c >> IM_COL32_A_SHIFT)};
}

// SDL_SW_RenderGeometryRaw's test (SDL_render.c, 2.26): do the previous triangle `p` and the current one
// `k` form an axis-aligned rectangle of one colour? If so, A is its top-left and B its bottom-right vertex.
bool sdl_quad(const ImDrawVert* v, const int p[3], const int k[3], int& A, int& B) {
    int shared = 0;
    for (int j = 0; j < 3; ++j)
        if (p[j] == k[0] || p[j] == k[1] || p[j] == k[2]) ++shared;
    if (shared != 2) return false;
    const float x0 = v[k[0]].pos.x, y0 = v[k[0]].pos.y;
    const float x1 = v[k[1]].pos.x, y1 = v[k[1]].pos.y;
    const float x2 = v[k[2]].pos.x, y2 = v[k[2]].pos.y;
    if (x0 <= x1 && y0 <= y1)
        A = (x0 <= x2 && y0 <= y2) ? k[0] : k[2];
    else
        A = (x1 <= x2 && y1 <= y2) ? k[1] : k[2];
    if (x0 >= x1 && y0 >= y1)
        B = (x0 >= x2 && y0 >= y2) ? k[0] : k[2];
    else
        B = (x1 >= x2 && y1 >= y2) ? k[1] : k[2];
    const int C = (k[0] != A && k[0] != B) ? k[0] : (k[1] != A && k[1] != B) ? k[1] : k[2];
    const int C2 = (p[0] != A && p[0] != B) ? p[0] : (p[1] != A && p[1] != B) ? p[1] : p[2];
    const ImVec2 a = v[A].pos, b = v[B].pos;
    for (const int c : {C, C2}) {
        const ImVec2 q = v[c].pos;
        if (!((a.x == q.x && b.y == q.y) || (a.y == q.y && b.x == q.x))) return false;
    }
    const std::uint32_t col = color_bits(v[A]);
    return col == color_bits(v[B]) && col == color_bits(v[C]) && col == color_bits(v[C2]);
}

// One item of SDL's pairing: a triangle, or two consecutive triangles SDL draws as one rectangle.
struct Item {
    int first = 0; // index position
    bool quad = false;
    int A = 0, B = 0;
};

void push(std::vector<Piece>& out, Piece p) {
    if (!out.empty()) {
        Piece& last = out.back();
        const bool contiguous = last.first + last.count == p.first;
        if (contiguous && last.kind == p.kind &&
            (p.kind == Piece::Kind::Sdl || (p.kind == Piece::Kind::OpaqueTriangles &&
                                            std::memcmp(&last.color, &p.color, sizeof p.color) == 0))) {
            last.count += p.count;
            return;
        }
    }
    out.push_back(p);
}

long long floor_div(long long a, long long b) { // b > 0
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

struct Fixed {
    long long x = 0, y = 0;
};

// SDL_SW_QueueGeometry + trianglepoint_2_fixedpoint: the position truncated to a whole pixel, then in
// half pixels (FP_BITS = 1).
Fixed fixed(ImVec2 p) {
    return {static_cast<long long>(static_cast<int>(p.x)) * 2,
            static_cast<long long>(static_cast<int>(p.y)) * 2};
}

long long cross(Fixed a, Fixed b, long long cx, long long cy) {
    return (b.x - a.x) * (cy - a.y) - (b.y - a.y) * (cx - a.x);
}

bool is_top_left(Fixed a, Fixed b, bool clockwise) {
    if (clockwise) return (a.y == b.y && a.x < b.x) || b.y < a.y;
    return (a.y == b.y && b.x < a.x) || a.y < b.y;
}

} // namespace

std::vector<Piece> plan(const ImDrawVert* v, const ImDrawIdx* idx, int index_count, ImVec2 white_uv) {
    std::vector<Item> items;
    int prev[3] = {-1, -1, -1};
    int prev_first = 0;
    for (int i = 0; i + 2 < index_count; i += 3) {
        const int k[3] = {idx[i], idx[i + 1], idx[i + 2]};
        if (prev[0] == -1) {
            std::copy(k, k + 3, prev);
            prev_first = i;
            continue;
        }
        int A = 0, B = 0;
        if (sdl_quad(v, prev, k, A, B)) {
            items.push_back({prev_first, true, A, B});
            prev[0] = -1;
        } else {
            items.push_back({prev_first, false, 0, 0});
            std::copy(k, k + 3, prev);
            prev_first = i;
        }
    }
    if (prev[0] != -1) items.push_back({prev_first, false, 0, 0});

    std::vector<Piece> out;
    for (const Item& it : items) {
        const int n = it.quad ? 6 : 3;
        bool solid = true;
        for (int j = 0; j < n && solid; ++j)
            solid = same_uv(v[idx[it.first + j]].uv, white_uv);
        const ImU32 col = v[idx[it.first]].col;
        bool one_colour = true;
        for (int j = 1; j < n && one_colour; ++j)
            one_colour = v[idx[it.first + j]].col == col;
        const bool opaque = solid && one_colour && ((col >> IM_COL32_A_SHIFT) & 0xFF) == 0xFF;
        Piece p;
        p.first = it.first;
        p.count = n;
        p.color = sdl_color(col);
        if (opaque && it.quad) {
            // SDL fills this rectangle (its UVs span no texel) with blending: the same rectangle, unblended.
            p.kind = Piece::Kind::OpaqueRect;
            const ImVec2 a = v[it.A].pos, b = v[it.B].pos;
            p.rect = SDL_FRect{a.x, a.y, b.x - a.x, b.y - a.y};
        } else if (opaque) {
            p.kind = Piece::Kind::OpaqueTriangles;
        } else {
            p.kind = Piece::Kind::Sdl;
        }
        push(out, p);
    }
    return out;
}

void triangle_spans(ImVec2 a, ImVec2 b, ImVec2 c, const SDL_Rect& clip, std::vector<Span>& out) {
    // SDL_SW_FillTriangle / SDL_SW_BlitTriangle (SDL_triangle.c, 2.26): barycentric w0, w1, w2 at pixel
    // centres over the bounding box, a pixel inside when every w + bias >= 0.
    const Fixed d0 = fixed(a), d1 = fixed(b), d2 = fixed(c);
    const long long area = cross(d0, d1, d2.x, d2.y);
    if (area == 0) return;
    const bool clockwise = area > 0;
    const long long sign = clockwise ? 1 : -1;
    // The bounding box, [min, max) in pixels, clipped.
    long long bx0 = std::min({d0.x, d1.x, d2.x}) / 2, bx1 = std::max({d0.x, d1.x, d2.x}) / 2;
    long long by0 = std::min({d0.y, d1.y, d2.y}) / 2, by1 = std::max({d0.y, d1.y, d2.y}) / 2;
    bx0 = std::max<long long>(bx0, clip.x);
    by0 = std::max<long long>(by0, clip.y);
    bx1 = std::min<long long>(bx1, static_cast<long long>(clip.x) + clip.w);
    by1 = std::min<long long>(by1, static_cast<long long>(clip.y) + clip.h);
    if (bx0 >= bx1 || by0 >= by1) return;
    struct Edge {
        Fixed p, q;
        long long bias;
    };
    const Edge edges[3] = {{d1, d2, is_top_left(d1, d2, clockwise) ? 0 : -1},
                           {d2, d0, is_top_left(d2, d0, clockwise) ? 0 : -1},
                           {d0, d1, is_top_left(d0, d1, clockwise) ? 0 : -1}};
    for (long long y = by0; y < by1; ++y) {
        const long long py = 2 * y + 1;
        long long lo = bx0, hi = bx1 - 1; // inclusive
        for (const Edge& e : edges) {
            // sign * cross(p, q, 2x + 1, py) + bias >= 0, i.e. C * x + D >= 0.
            const long long dy = e.q.y - e.p.y;
            const long long C = -sign * dy * 2;
            const long long D = sign * ((e.q.x - e.p.x) * (py - e.p.y) - dy * (1 - e.p.x)) + e.bias;
            if (C == 0) {
                if (D < 0) hi = lo - 1;
            } else if (C > 0) {
                lo = std::max(lo, -floor_div(D, C)); // x >= ceil(-D / C)
            } else {
                hi = std::min(hi, floor_div(D, -C)); // x <= floor(D / -C)
            }
            if (lo > hi) break;
        }
        if (lo <= hi) out.push_back({static_cast<int>(y), static_cast<int>(lo), static_cast<int>(hi + 1)});
    }
}

void merge_spans(std::vector<Span>& spans) {
    std::sort(spans.begin(), spans.end(),
              [](const Span& l, const Span& r) { return l.y != r.y ? l.y < r.y : l.x0 < r.x0; });
    std::size_t w = 0;
    for (std::size_t i = 0; i < spans.size(); ++i) {
        if (w > 0 && spans[w - 1].y == spans[i].y && spans[i].x0 <= spans[w - 1].x1) {
            spans[w - 1].x1 = std::max(spans[w - 1].x1, spans[i].x1);
        } else {
            spans[w++] = spans[i];
        }
    }
    spans.resize(w);
}

} // namespace sdl_draw

namespace {

// The pieces of one command on the software renderer. `clip` is the command's clip rect (set on the
// renderer), already within the output.
void draw_pieces(SDL_Renderer* renderer, SDL_Texture* texture, const ImDrawVert* vtx, int vtx_count,
                 const ImDrawIdx* idx, int idx_count, ImVec2 white_uv, const SDL_Rect& clip,
                 std::vector<sdl_draw::Span>& spans, std::vector<SDL_Rect>& rects) {
    using sdl_draw::Piece;
    const auto pieces = sdl_draw::plan(vtx, idx, idx_count, white_uv);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        const Piece& p = pieces[i];
        switch (p.kind) {
        case Piece::Kind::Sdl: {
            const float* xy = &vtx[0].pos.x;
            const float* uv = &vtx[0].uv.x;
            const auto* color = reinterpret_cast<const SDL_Color*>(&vtx[0].col);
            SDL_RenderGeometryRaw(renderer, texture, xy, static_cast<int>(sizeof(ImDrawVert)), color,
                                  static_cast<int>(sizeof(ImDrawVert)), uv,
                                  static_cast<int>(sizeof(ImDrawVert)), vtx_count, idx + p.first, p.count,
                                  static_cast<int>(sizeof(ImDrawIdx)));
            break;
        }
        case Piece::Kind::OpaqueRect: {
            // Consecutive rectangles of one colour in one call.
            std::vector<SDL_FRect> batch{p.rect};
            while (i + 1 < pieces.size() && pieces[i + 1].kind == Piece::Kind::OpaqueRect &&
                   std::memcmp(&pieces[i + 1].color, &p.color, sizeof p.color) == 0)
                batch.push_back(pieces[++i].rect);
            // SDL skips a rectangle with no width or height instead of filling it.
            std::erase_if(batch, [](const SDL_FRect& r) { return r.w == 0.0f || r.h == 0.0f; });
            SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_NONE);
            SDL_SetRenderDrawColor(renderer, p.color.r, p.color.g, p.color.b, p.color.a);
            SDL_RenderFillRectsF(renderer, batch.data(), static_cast<int>(batch.size()));
            break;
        }
        case Piece::Kind::OpaqueTriangles: {
            spans.clear();
            for (int t = p.first; t < p.first + p.count; t += 3)
                sdl_draw::triangle_spans(vtx[idx[t]].pos, vtx[idx[t + 1]].pos, vtx[idx[t + 2]].pos, clip,
                                         spans);
            sdl_draw::merge_spans(spans);
            rects.clear();
            for (const auto& s : spans)
                rects.push_back(SDL_Rect{s.x0, s.y, s.x1 - s.x0, 1});
            SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_NONE);
            SDL_SetRenderDrawColor(renderer, p.color.r, p.color.g, p.color.b, p.color.a);
            SDL_RenderFillRects(renderer, rects.data(), static_cast<int>(rects.size()));
            break;
        }
        }
    }
}

} // namespace

// imgui_impl_sdlrenderer.cpp's ImGui_ImplSDLRenderer_RenderDrawData (Dear ImGui 1.86, MIT licence,
// Copyright (c) 2014-2021 Omar Cornut), with the software renderer's pieces above.
void render_draw_data(SDL_Renderer* renderer, ImDrawData* draw_data) {
    float rsx = 1.0f, rsy = 1.0f;
    SDL_RenderGetScale(renderer, &rsx, &rsy);
    ImVec2 render_scale;
    render_scale.x = (rsx == 1.0f) ? draw_data->FramebufferScale.x : 1.0f;
    render_scale.y = (rsy == 1.0f) ? draw_data->FramebufferScale.y : 1.0f;
    const int fb_width = static_cast<int>(draw_data->DisplaySize.x * render_scale.x);
    const int fb_height = static_cast<int>(draw_data->DisplaySize.y * render_scale.y);
    if (fb_width == 0 || fb_height == 0) return;

    SDL_RendererInfo info{};
    SDL_GetRendererInfo(renderer, &info);
    int out_w = 0, out_h = 0;
    SDL_GetRendererOutputSize(renderer, &out_w, &out_h);
    // Spans are computed in output pixels: only where SDL maps ImGui's coordinates 1:1 to them.
    const bool spans = (info.flags & SDL_RENDERER_SOFTWARE) != 0 && rsx == 1.0f && rsy == 1.0f &&
                       render_scale.x == 1.0f && render_scale.y == 1.0f;

    const bool old_clip_enabled = SDL_RenderIsClipEnabled(renderer) == SDL_TRUE;
    SDL_Rect old_viewport, old_clip;
    SDL_RenderGetViewport(renderer, &old_viewport);
    SDL_RenderGetClipRect(renderer, &old_clip);
    SDL_BlendMode old_blend = SDL_BLENDMODE_NONE;
    SDL_GetRenderDrawBlendMode(renderer, &old_blend);
    Uint8 old_r = 0, old_g = 0, old_b = 0, old_a = 0;
    SDL_GetRenderDrawColor(renderer, &old_r, &old_g, &old_b, &old_a);

    const ImVec2 clip_off = draw_data->DisplayPos;
    const ImVec2 clip_scale = render_scale;
    const ImFontAtlas* atlas = ImGui::GetIO().Fonts;
    std::vector<sdl_draw::Span> span_buffer;
    std::vector<SDL_Rect> rect_buffer;

    const auto setup = [&] {
        SDL_RenderSetViewport(renderer, nullptr);
        SDL_RenderSetClipRect(renderer, nullptr);
    };
    setup();
    for (int n = 0; n < draw_data->CmdListsCount; n++) {
        const ImDrawList* cmd_list = draw_data->CmdLists[n];
        const ImDrawVert* vtx_buffer = cmd_list->VtxBuffer.Data;
        const ImDrawIdx* idx_buffer = cmd_list->IdxBuffer.Data;
        for (int cmd_i = 0; cmd_i < cmd_list->CmdBuffer.Size; cmd_i++) {
            const ImDrawCmd* pcmd = &cmd_list->CmdBuffer[cmd_i];
            if (pcmd->UserCallback) {
                if (pcmd->UserCallback == ImDrawCallback_ResetRenderState)
                    setup();
                else
                    pcmd->UserCallback(cmd_list, pcmd);
                continue;
            }
            ImVec2 clip_min((pcmd->ClipRect.x - clip_off.x) * clip_scale.x,
                            (pcmd->ClipRect.y - clip_off.y) * clip_scale.y);
            ImVec2 clip_max((pcmd->ClipRect.z - clip_off.x) * clip_scale.x,
                            (pcmd->ClipRect.w - clip_off.y) * clip_scale.y);
            clip_min.x = std::max(clip_min.x, 0.0f);
            clip_min.y = std::max(clip_min.y, 0.0f);
            clip_max.x = std::min(clip_max.x, static_cast<float>(fb_width));
            clip_max.y = std::min(clip_max.y, static_cast<float>(fb_height));
            if (clip_max.x <= clip_min.x || clip_max.y <= clip_min.y) continue;
            const SDL_Rect r = {static_cast<int>(clip_min.x), static_cast<int>(clip_min.y),
                                static_cast<int>(clip_max.x - clip_min.x),
                                static_cast<int>(clip_max.y - clip_min.y)};
            SDL_RenderSetClipRect(renderer, &r);

            const ImDrawVert* vtx = vtx_buffer + pcmd->VtxOffset;
            const int vtx_count = cmd_list->VtxBuffer.Size - static_cast<int>(pcmd->VtxOffset);
            const ImDrawIdx* idx = idx_buffer + pcmd->IdxOffset;
            const int idx_count = static_cast<int>(pcmd->ElemCount);
            auto* texture = static_cast<SDL_Texture*>(pcmd->GetTexID());
            if (spans && texture && pcmd->GetTexID() == atlas->TexID) {
                SDL_Rect clip = r;
                const SDL_Rect output{0, 0, out_w, out_h};
                SDL_IntersectRect(&clip, &output, &clip);
                draw_pieces(renderer, texture, vtx, vtx_count, idx, idx_count, atlas->TexUvWhitePixel, clip,
                            span_buffer, rect_buffer);
            } else {
                SDL_RenderGeometryRaw(renderer, texture, &vtx[0].pos.x, static_cast<int>(sizeof(ImDrawVert)),
                                      reinterpret_cast<const SDL_Color*>(&vtx[0].col),
                                      static_cast<int>(sizeof(ImDrawVert)), &vtx[0].uv.x,
                                      static_cast<int>(sizeof(ImDrawVert)), vtx_count, idx, idx_count,
                                      static_cast<int>(sizeof(ImDrawIdx)));
            }
        }
    }
    SDL_SetRenderDrawBlendMode(renderer, old_blend);
    SDL_SetRenderDrawColor(renderer, old_r, old_g, old_b, old_a);
    SDL_RenderSetViewport(renderer, &old_viewport);
    SDL_RenderSetClipRect(renderer, old_clip_enabled ? &old_clip : nullptr);
}

} // namespace kiosk::app

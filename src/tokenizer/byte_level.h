#pragma once
// The GPT-2 byte-to-unicode alphabet of byte-level BPE: each of the 256 byte values is shown
// as one printable code point ('!'..'~', '¡'..'¬', '®'..'ÿ' as themselves, the other 68 bytes
// as U+0100.. in byte order), so every byte string is a string of "characters".
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace finefp8::tok {

// Code point that shows byte b.
uint32_t byte_to_code_point(uint8_t b);
// Byte shown by code point cp, if cp is in the alphabet.
std::optional<uint8_t> code_point_to_byte(uint32_t cp);
// The byte-level string of raw bytes (each byte -> its code point, UTF-8 encoded).
std::string bytes_to_byte_level(std::string_view raw);
void append_byte_level(std::string& out, std::string_view raw);
// The raw bytes of a token if every character of it is in the alphabet.
std::optional<std::string> byte_level_to_bytes(std::string_view token);

}  // namespace finefp8::tok

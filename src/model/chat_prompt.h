#pragma once
// Turning one user message into the prompt text an instruct model expects, for the chat
// template families found in Llama-family checkpoints. finefp8 has no Jinja engine: it
// recognizes the family from the template's markers and writes the same text the template
// renders for [system?, user] with add_generation_prompt=True.
#include <optional>
#include <string>

namespace finefp8 {

enum class ChatFamily { kChatML, kLlama3, kLlama2 };

// The family of `chat_template`, or nullopt if it is none of the known ones.
std::optional<ChatFamily> chat_family(const std::string& chat_template);

// The prompt for one user turn. `system` empty: the template's own default system prompt if
// it writes one (SmolLM2, Qwen), else none.
std::string chat_prompt(ChatFamily family, const std::string& chat_template,
                        const std::string& user, const std::string& system = "");

}  // namespace finefp8

#include "model/chat_prompt.h"

namespace finefp8 {

std::optional<ChatFamily> chat_family(const std::string& t) {
  if (t.find("<|im_start|>") != std::string::npos) return ChatFamily::kChatML;
  if (t.find("<|start_header_id|>") != std::string::npos) return ChatFamily::kLlama3;
  if (t.find("[INST]") != std::string::npos) return ChatFamily::kLlama2;
  return std::nullopt;
}

namespace {

// The default system prompt a ChatML template writes when the conversation has none:
// the text of a string literal '<|im_start|>system\n...<|im_end|>' (newline written as the
// escape \n inside the Jinja literal, or as a real newline).
std::string chatml_default_system(const std::string& t) {
  for (const std::string open : {"<|im_start|>system\\n", "<|im_start|>system\n"}) {
    const size_t a = t.find(open);
    if (a == std::string::npos) continue;
    const size_t b = t.find("<|im_end|>", a);
    if (b == std::string::npos) continue;
    std::string s = t.substr(a + open.size(), b - a - open.size());
    // A template that inserts the user's system message here has Jinja in it: no default.
    if (s.find("{{") != std::string::npos || s.find("{%") != std::string::npos) return "";
    return s;
  }
  return "";
}

}  // namespace

std::string chat_prompt(ChatFamily family, const std::string& t, const std::string& user,
                        const std::string& system) {
  switch (family) {
    case ChatFamily::kChatML: {
      const std::string sys = system.empty() ? chatml_default_system(t) : system;
      std::string p;
      if (!sys.empty()) p += "<|im_start|>system\n" + sys + "<|im_end|>\n";
      return p + "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n";
    }
    case ChatFamily::kLlama3: {
      std::string p = "<|begin_of_text|>";
      if (!system.empty()) p += "<|start_header_id|>system<|end_header_id|>\n\n" + system + "<|eot_id|>";
      return p + "<|start_header_id|>user<|end_header_id|>\n\n" + user +
             "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
    }
    case ChatFamily::kLlama2: {
      const std::string body = system.empty() ? user : "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + user;
      return "<s>[INST] " + body + " [/INST]";
    }
  }
  return user;
}

}  // namespace finefp8

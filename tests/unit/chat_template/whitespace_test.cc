// Whitespace control as transformers configures Jinja2: trim_blocks and lstrip_blocks on,
// keep_trailing_newline off, plus the explicit {%- -%} / {{- -}} / {#- -#} / {%+ +%} markers.
#include "template_test_util.h"

namespace turbine::chat_template_test {
namespace {

TEST(ChatTemplateWhitespace, TrimBlocksDropsTheNewlineAfterBlockTags) {
  EXPECT_EQ(render("{% if true %}\nyes\n{% endif %}\nafter"), "yes\nafter");
  EXPECT_EQ(render("{# comment #}\nnext"), "next");
  // Expression tags keep their newline.
  EXPECT_EQ(render("{{ 'a' }}\nb"), "a\nb");
}

TEST(ChatTemplateWhitespace, LstripBlocksRemovesIndentBeforeBlockTags) {
  EXPECT_EQ(render("<\n    {% if true %}\n    x\n    {% endif %}\n>"), "<\n    x\n>");
  EXPECT_EQ(render("a  {% if true %}b{% endif %}"), "a  b");  // not at the start of a line
  EXPECT_EQ(render("  {% if true %}b{% endif %}"), "b");       // start of the template counts
  EXPECT_EQ(render("x\n  {{ 'y' }}"), "x\n  y");               // not for expressions
  EXPECT_EQ(render("x\n\t {# c #}\ny"), "x\ny");
}

TEST(ChatTemplateWhitespace, ExplicitMarkers) {
  EXPECT_EQ(render("a  \n  {%- if true -%}  \n  b  \n  {%- endif -%}\n  c"), "abc");
  EXPECT_EQ(render("a\n  {{- 'b' -}}  \n c"), "abc");
  EXPECT_EQ(render("a\n  {%+ if true %}b{% endif +%}\nc"), "a\n  b\nc");
  EXPECT_EQ(render("{{- '  x  ' -}}"), "  x  ");  // markers trim template text, never values
}

TEST(ChatTemplateWhitespace, TrailingNewlineAndLineEndings) {
  EXPECT_EQ(render("hi\n"), "hi");
  EXPECT_EQ(render("hi\n\n"), "hi\n");
  EXPECT_EQ(render("a\r\nb\rc"), "a\nb\nc");
}

TEST(ChatTemplateWhitespace, TypicalChatTemplateLayout) {
  const std::string t =
      "{%- for message in messages %}\n"
      "    {%- if message.role == 'user' %}\n"
      "        {{- '<user>' + message.content + '</user>\\n' }}\n"
      "    {%- else %}\n"
      "        {{- '<bot>' + message.content + '</bot>\\n' }}\n"
      "    {%- endif %}\n"
      "{%- endfor %}\n"
      "{%- if add_generation_prompt %}\n"
      "    {{- '<bot>' }}\n"
      "{%- endif %}\n";
  EXPECT_EQ(render(t, R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
                         "add_generation_prompt": true})"),
            "<user>hi</user>\n<bot>yo</bot>\n<bot>");
}

TEST(ChatTemplateWhitespace, RawBlocksKeepTheirContent) {
  EXPECT_EQ(render("{% raw %}\n  {{ x }}\n{% endraw %}\nz"), "\n  {{ x }}\nz");
  EXPECT_EQ(render("{% raw -%}\n  {{ x }}  {%- endraw %}"), "{{ x }}");
}

}  // namespace
}  // namespace turbine::chat_template_test

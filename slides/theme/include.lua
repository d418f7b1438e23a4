-- slides/theme/include.lua — a pandoc Lua filter: a code block of class
-- "include" is replaced by a file that `make slides` generated from the
-- toolkit's own runs (its name is the block's text, read from the folder
-- $SLIDES_GEN).  A .md file is parsed as Markdown (a table), anything else
-- becomes a code block.  A missing file stops the build: a slide never
-- shows a number that was not measured.
local dir = os.getenv("SLIDES_GEN") or "."

function CodeBlock(el)
  if not el.classes:includes("include") then return nil end
  local name = el.text:gsub("%s+$", "")
  local path = dir .. "/" .. name
  local f = io.open(path, "r")
  if not f then error("include.lua: cannot read " .. path) end
  local text = f:read("a")
  f:close()
  if name:match("%.md$") then
    return pandoc.read(text, "markdown").blocks
  end
  local classes = {}
  for _, c in ipairs(el.classes) do
    if c ~= "include" then table.insert(classes, c) end
  end
  return pandoc.CodeBlock(text, pandoc.Attr("", classes))
end

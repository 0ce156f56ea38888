-- Complete sign-ons: GET the statement page (fresh visitor, no cookie, gzip), take the hidden fields
-- of its sign-on form (the CSRF token and any others) and the session cookie, POST the form
-- with them, expect 303. One connection per wrk thread (-t N -c N),
-- so request() and response() strictly alternate and a small state machine suffices.
-- Environment: BENCH_PAGE (e.g. /statements/bench), BENCH_SIGN (e.g. /statements/bench/sign).

dofile("report.lua")

-- Browsers take the page gzip-compressed (73 KiB instead of 606 KiB); so does this script.
-- wrk's Lua has no gunzip, but it is LuaJIT, whose FFI can call the system's zlib.
local ffi = require("ffi")
ffi.cdef([[
typedef struct {
  const unsigned char *next_in; unsigned int avail_in; unsigned long total_in;
  unsigned char *next_out; unsigned int avail_out; unsigned long total_out;
  const char *msg; void *state; void *zalloc; void *zfree; void *opaque;
  int data_type; unsigned long adler; unsigned long reserved;
} z_stream;
const char *zlibVersion(void);
int inflateInit2_(z_stream *stream, int window_bits, const char *version, int stream_size);
int inflate(z_stream *stream, int flush);
int inflateEnd(z_stream *stream);
]])
local zlib = ffi.load("libz.so.1") -- the runtime library; "z" would need the -dev package
local CHUNK = 256 * 1024
local chunk = ffi.new("unsigned char[?]", CHUNK)

local function gunzip(data)
  local stream = ffi.new("z_stream")
  -- 15 + 16: a gzip header, 32 KiB window.
  if zlib.inflateInit2_(stream, 15 + 16, zlib.zlibVersion(), ffi.sizeof(stream)) ~= 0 then
    return nil
  end
  stream.next_in, stream.avail_in = data, #data
  local parts, result = {}, 0
  repeat
    stream.next_out, stream.avail_out = chunk, CHUNK
    result = zlib.inflate(stream, 0)
    table.insert(parts, ffi.string(chunk, CHUNK - stream.avail_out))
  until result ~= 0 -- 1: end of stream; negative: an error
  zlib.inflateEnd(stream)
  return result == 1 and table.concat(parts) or nil
end

local page_path = os.getenv("BENCH_PAGE") or "/statements/bench"
local sign_path = os.getenv("BENCH_SIGN") or "/statements/bench/sign"
local user_agent = os.getenv("BENCH_USER_AGENT") or "jointly-bench"

local function urlencode(text)
  return (string.gsub(text, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local function form_body(fields)
  local parts = {}
  for _, pair in ipairs(fields) do
    table.insert(parts, urlencode(pair[1]) .. "=" .. urlencode(pair[2]))
  end
  return table.concat(parts, "&")
end

local function unescape(text)
  local entities = { amp = "&", lt = "<", gt = ">", quot = '"', ["#34"] = '"', ["#39"] = "'" }
  return (string.gsub(text, "&(#?%w+);", function(name)
    return entities[name]
  end))
end

-- The hidden inputs of the sign-on form (csrf_token and whatever else the app adds), in page order.
local function hidden_fields(body)
  -- A plain find (a fast memory search) goes to the form; a pattern tried at every position of
  -- a 600 KB page costs wrk CPU time that the server, on the same cores, then lacks.
  local action = string.find(body, 'action="' .. sign_path .. '"', 1, true)
  local form = action and string.match(body, "^[^>]*>(.-)</form>", action) or ""
  local fields, has_token = {}, false
  for tag in string.gmatch(form, "<input[^>]*>") do
    local name = string.match(tag, 'name="([^"]*)"')
    if name and string.find(tag, 'type="hidden"', 1, true) then
      table.insert(fields, { name, unescape(string.match(tag, 'value="([^"]*)"') or "") })
      has_token = has_token or name == "csrf_token"
    end
  end
  return has_token and fields or nil
end

local function header(headers, wanted)
  for name, value in pairs(headers) do
    if string.lower(name) == wanted then
      return value
    end
  end
  return nil
end

function init(args)
  counter = 0
  awaiting = nil -- "get" or "post" while a request is out
  hidden, cookie, organisation = nil, nil, nil
  counts = { gets = 0, get_ok = 0, get_bad = 0, posts = 0, ok = 0, failed = 0, unanswered_posts = 0, restarted_gets = 0 }
  statuses = {}
  ok_orgs = {}
  failures = {}
end

-- Every third organisation has a Khmer name; id and counter make each one unique.
local function next_organisation()
  counter = counter + 1
  if counter % 3 == 0 then
    return string.format("សហគមន៍ការពារដីធ្លី Bench %d-%d", id, counter)
  end
  return string.format("Bench Signon Association %d-%d", id, counter)
end

local function sign_request()
  organisation = next_organisation()
  local fields = {
    { "organisation", organisation },
    { "acronym", string.format("BSA%d", id) },
    { "location", "Phnom Penh" },
    { "website", string.format("https://bench-%d-%d.example.org/", id, counter) },
    { "contact_name", "Sok Chea" },
    { "email", string.format("bench-%d-%d@example.org", id, counter) },
    { "phone", "+855 12 345 678" },
    { "message", "We endorse this statement. យើងគាំទ្រសេចក្តីថ្លែងការណ៍នេះ។" },
    { "authorised", "y" },
  }
  for _, pair in ipairs(hidden) do
    table.insert(fields, pair)
  end
  local body = form_body(fields)
  counts.posts = counts.posts + 1
  awaiting = "post"
  return wrk.format("POST", sign_path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
    ["User-Agent"] = user_agent,
  }, body)
end

function request()
  if awaiting then
    -- The previous request got no answer: a socket error, or (once per run) the call wrk makes
    -- on its first thread to check the script. Start a new sign-on.
    local key = awaiting == "post" and "unanswered_posts" or "restarted_gets"
    counts[key] = counts[key] + 1
    awaiting, hidden = nil, nil
  end
  if hidden then
    return sign_request()
  end
  counts.gets = counts.gets + 1
  awaiting = "get"
  return wrk.format("GET", page_path, { ["User-Agent"] = user_agent, ["Accept-Encoding"] = "gzip" })
end

function response(status, headers, body)
  local kind = awaiting or "none"
  awaiting = nil
  statuses[kind .. " " .. status] = (statuses[kind .. " " .. status] or 0) + 1
  if kind == "get" then
    local set_cookie = header(headers, "set-cookie") or ""
    local session = string.match(set_cookie, "session=([^;]+)")
    if header(headers, "content-encoding") == "gzip" then
      body = gunzip(body) or ""
    end
    hidden = status == 200 and hidden_fields(body) or nil
    if hidden and session then
      counts.get_ok = counts.get_ok + 1
      cookie = "session=" .. session
    else
      counts.get_bad = counts.get_bad + 1
      hidden = nil
    end
  elseif kind == "post" then
    hidden = nil
    if status == 303 then
      counts.ok = counts.ok + 1
      table.insert(ok_orgs, organisation)
    else
      counts.failed = counts.failed + 1
      if #failures < 5 then
        local reason = string.match(body, 'class="error"[^>]*>(.-)</p>') or string.sub(body, 1, 200)
        table.insert(failures, status .. " " .. (string.gsub(reason, "%s+", " ")))
      end
    end
  end
end

function done(summary, latency, requests)
  report(summary, latency, { "counts", "statuses" }, { "ok_orgs", "failures" })
end

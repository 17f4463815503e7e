"""The Lua half of the memory store's scripting environment: one chunk, run once per
interpreter, that builds Redis 7.0's globals, the sandbox and the error handler, and returns
the functions `kvs.memory.lua.LuaEngine` calls (see that module for the theory of operation).

The chunk receives one table of Python callables (``py``); it keeps them and every builtin
it needs in locals, then empties its own environment (``setfenv(1, {})``), so no function it
creates leads back to the real globals.  Its chunk name is ``=kvs``: the error handler and
the count hook skip frames of that source, so an error's line is always the script's.
"""

from __future__ import annotations

__all__ = ["BOOTSTRAP"]

BOOTSTRAP = r"""
local py = ...
local G0 = getfenv(1)
local rawerror, type, tostring, setmetatable, getmetatable, rawget, rawset =
    G0.error, G0.type, G0.tostring, G0.setmetatable, G0.getmetatable, G0.rawget, G0.rawset
local rawpcall, select, unpack, setfenv, loadstring, load, next, xpcall =
    G0.pcall, G0.select, G0.unpack, G0.setfenv, G0.loadstring, G0.load, G0.next, G0.xpcall
local dbg, newproxy = G0.debug, G0.newproxy
setfenv(1, {})

local protected = setmetatable({}, {__mode = "k"})
local function readonly_error() rawerror("Attempt to modify a readonly table", 2) end
local function readonly(t)
    local proxy = setmetatable({}, {__index = t, __newindex = readonly_error,
                                    __metatable = false})
    protected[proxy] = true
    return proxy
end
local function missing(_, name)
    rawerror("Script attempted to access nonexistent global variable '" ..
             tostring(name) .. "'", 2)
end
local function strict(t) return setmetatable(t, {__index = missing}) end

local function copy(t) local c = {} for k, v in next, t do c[k] = v end return c end

-- Redis 7 raises error tables; its pcall gives the message of one.
local translate
local function unwrap(ok, ...)
    if ok then return true, ... end
    local e = translate(...)
    if type(e) == "table" then
        local m = rawget(e, "err")
        if type(m) == "string" or type(m) == "number" then return false, m end
    end
    return false, e
end
local function redis_pcall(f, ...) return unwrap(rawpcall(f, ...)) end

local null = newproxy(false)
local function fail(message) rawerror({err = message}, 0) end

-- Python functions raise a Python exception, which Lua sees as a userdata: `take` gives
-- back the Redis error table (redis.call) or the message (cjson, bit) it stands for.
local take = py.take
function translate(e)
    if type(e) == "userdata" then
        local t = take(e)
        if t ~= nil then return t end
    end
    return e
end

local cjson = {null = null, encode = py.cjson_encode, decode = py.cjson_decode,
    _NAME = "cjson", _VERSION = "2.1.0"}
-- lua-cjson's settings: accepted, answered with the defaults Redis uses, not applied.
local cjson_defaults = {encode_sparse_array = {false, 2, 10}, encode_max_depth = {1000},
    decode_max_depth = {1000}, encode_number_precision = {14}, encode_keep_buffer = {true},
    encode_invalid_numbers = {false}, decode_invalid_numbers = {true}}
for name, values in next, cjson_defaults do
    cjson[name] = function() return unpack(values) end
end
local bit = {}
for name, f in next, py.bit do bit[name] = f end
local struct = {}
for name, f in next, py.struct do struct[name] = f end
local cmsgpack = {}
for name, f in next, py.cmsgpack do cmsgpack[name] = f end

local redis = {
    REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REDIS_VERSION = "7.0.15", REDIS_VERSION_NUM = 0x0007000f,
    call = py.call, pcall = py.pcall, sha1hex = py.sha1hex, log = py.log,
    setresp = py.setresp, set_repl = py.set_repl, register_function = py.register,
    acl_check_cmd = py.acl_check_cmd,
}
-- The Python functions are userdata to Lua; `type` calls them functions, as Redis's are.
local python_functions = {}
for _, f in next, redis do python_functions[f] = true end
for _, f in next, cjson do python_functions[f] = true end
for _, f in next, bit do python_functions[f] = true end
for _, f in next, struct do python_functions[f] = true end
for _, f in next, cmsgpack do python_functions[f] = true end
python_functions[null] = nil
local function lua_type(v)
    local t = type(v)
    if t == "userdata" and python_functions[v] then return "function" end
    return t
end
local function single(field, ...)
    local value = ...
    if select("#", ...) ~= 1 or type(value) ~= "string" then
        return {err = "ERR wrong number or type of arguments"}
    end
    return {[field] = value}
end
redis.status_reply = function(...) return single("ok", ...) end
redis.error_reply = function(...)
    local value = ...
    if select("#", ...) ~= 1 or type(value) ~= "string" then
        return {err = "ERR wrong number or type of arguments"}
    end
    return py.error_table(value)
end
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end

-- FUNCTION LOAD's view of redis: register_function and the harmless helpers only.
local library_api = {register_function = py.register,
    log = redis.log, setresp = redis.setresp, REDIS_VERSION = redis.REDIS_VERSION,
    REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM, LOG_DEBUG = 0, LOG_VERBOSE = 1,
    LOG_NOTICE = 2, LOG_WARNING = 3}

local env_mt = {__newindex = readonly_error, __metatable = false}
local env = setmetatable({}, env_mt)
protected[env] = true

local function sandboxed_load(chunk, name)
    local f, e = loadstring(chunk, name)
    if f then setfenv(f, env) end
    return f, e
end
local function handler(err)
    local level, info = 2, nil
    repeat
        info = dbg.getinfo(level, "nSl")
        level = level + 1
    until not info or (info.what ~= "C" and info.source ~= "=kvs")
    err = translate(err)
    if type(err) ~= "table" then err = {err = "ERR " .. tostring(err)} end
    if info then
        err.source = info.source
        err.line = info.currentline
    end
    return err
end

local function safe_getmetatable(v)
    if type(v) == "userdata" then return nil end
    return getmetatable(v)
end
local base = {
    xpcall = xpcall, tostring = tostring, setmetatable = setmetatable,
    next = next, assert = G0.assert, tonumber = G0.tonumber, rawequal = G0.rawequal,
    collectgarbage = G0.collectgarbage, getmetatable = safe_getmetatable, pcall = redis_pcall,
    coroutine = readonly(G0.coroutine), type = lua_type, select = select, unpack = unpack,
    gcinfo = G0.gcinfo, pairs = G0.pairs, rawget = rawget, ipairs = G0.ipairs,
    _VERSION = G0._VERSION, error = rawerror, __redis__err__handler = handler,
    loadstring = sandboxed_load, load = function(f, name)
        local g, e = load(f, name)
        if g then setfenv(g, env) end
        return g, e
    end,
    rawset = function(t, k, v)
        if protected[t] then rawerror("Attempt to modify a readonly table", 2) end
        return rawset(t, k, v)
    end,
    string = readonly(G0.string), table = readonly(G0.table), math = readonly(G0.math),
    cjson = readonly(cjson), bit = readonly(bit), struct = readonly(struct),
    cmsgpack = readonly(cmsgpack), _G = env,
}
local run_globals = strict(copy(base))
run_globals.redis = readonly(redis)
local load_globals = strict(copy(base))
load_globals.redis = readonly(strict(library_api))
env_mt.__index = run_globals

-- The string metatable leads to the real string table: point it at the proxy.
local string_mt = getmetatable("")
string_mt.__index = base.string
string_mt.__metatable = false

local hook_check = py.hook
local function on_hook()
    local running = dbg.getinfo(2, "S")
    if running and running.source ~= "=kvs" and hook_check() then
        dbg.sethook(on_hook, "l")
        rawerror({err = py.killed}, 0)
    end
end
dbg.sethook(on_hook, "", 100000)

local internal = {}
function internal.compile(body, name)
    local f, e = loadstring(body, name)
    if not f then return nil, e end
    setfenv(f, env)
    return f, nil
end
function internal.run(f, keys, args)
    rawset(run_globals, "KEYS", keys)
    rawset(run_globals, "ARGV", args)
    dbg.sethook(on_hook, "", 100000)
    local ok, value = xpcall(f, handler)
    return ok, value
end
function internal.call(f, keys, args)
    dbg.sethook(on_hook, "", 100000)
    local ok, value = xpcall(function() return f(keys, args) end, handler)
    return ok, value
end
-- The fields luaReplyToRedisReply looks at, read raw, in one crossing.
function internal.fields(t)
    return rawget(t, "err"), rawget(t, "ok"), rawget(t, "double"), rawget(t, "big_number"),
        rawget(t, "verbatim_string"), rawget(t, "map"), rawget(t, "set"), rawget(t, 1)
end
-- The array part up to the first nil: its length, then its items.
function internal.items(t)
    local n = 0
    while rawget(t, n + 1) ~= nil do n = n + 1 end
    return n, unpack(t, 1, n)
end
function internal.raw(t, k) return rawget(t, k) end
-- Where a library function was called from, as luaL_where(L, 1) writes it.
function internal.where()
    local info = dbg.getinfo(3, "Sl")
    if info and info.currentline > 0 then
        return info.short_src .. ":" .. info.currentline .. ": "
    end
    return ""
end
function internal.load_library(f)
    env_mt.__index = load_globals
    dbg.sethook(on_hook, "", 100000)
    local ok, e = xpcall(f, handler)
    env_mt.__index = run_globals
    return ok, e
end
function internal.type(v) return type(v) end
function internal.table(...) return {...} end
function internal.is_function(v) return type(v) == "function" end
function internal.err_string(t)
    local m = rawget(t, "err")
    if type(m) == "string" then return m end
    return nil
end
internal.null = null
function internal.is_null(v) return v == null end
internal.fail = fail
return internal
"""

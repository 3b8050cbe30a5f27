"""The plugin host: guarded entry-point loading, switches, in-process modules, name resolution.

The subprocess tests install a throw-away distribution (a ``*.dist-info`` folder with an
``agentctl`` entry point) on PYTHONPATH, exactly as pip would, and run the real CLI.
"""

from __future__ import annotations

import json
import sys
import types

import agentctl
import pytest
from agentctl.errors import SpecError, UserError
from agentctl.host import PluginHost
from conftest import clean_env

# -- broken plugins through a real entry point ------------------------------------------

BROKEN = {
    "import_error": (
        """
        raise ImportError("needs libfoo >= 2")
        """,
        "ImportError: needs libfoo >= 2",
    ),
    "bad_kind": (
        """
        def register_envs(register):
            register("weird", "broken_plugin:make", kind="quantum")
        """,
        "kind must be one of single, multi, sequence, got 'quantum'",
    ),
    "bad_entry_point": (
        """
        def register_envs(register):
            register("weird", "no colon here", kind="single")
        """,
        "entry point must be a callable or 'pkg.module:function'",
    ),
    "duplicate": (
        """
        def register_envs(register):
            register("twice", "broken_plugin:make", kind="single")
            register("twice", "broken_plugin:make", kind="single")
        """,
        "env 'broken/twice' is registered twice",
    ),
    "misspelled_hook": (
        """
        def register_env(register):
            register("never", "broken_plugin:make", kind="single")
        """,
        "unknown hook 'register_env' (did you mean 'register_envs'?)",
    ),
    "raises_after_good_env": (
        """
        def register_envs(register):
            register("goodenv", "broken_plugin:make", kind="single", description="should vanish")
            raise RuntimeError("boom halfway")
        """,
        "RuntimeError: boom halfway",
    ),
    "policies_fail_after_envs": (
        """
        import agentctl

        @agentctl.hookimpl
        def register_envs(register):
            register("goodenv", "broken_plugin:make", kind="single")

        @agentctl.hookimpl
        def register_policies(register):
            register("badpolicy", 42)
        """,
        "policy 'badpolicy': entry point must be a callable",
    ),
    "sys_exit_at_import": (
        """
        import sys
        sys.exit(3)
        """,
        "SystemExit: the plugin called sys.exit(3)",
    ),
    "system_exit_in_hook": (
        """
        def register_envs(register):
            register("goodenv", "broken_plugin:make", kind="single")
            raise SystemExit("bye")
        """,
        "SystemExit: the plugin called sys.exit('bye')",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_plugin_is_skipped_with_one_line(case, run_cli, make_plugin):
    source, reason = BROKEN[case]
    env = make_plugin(source)

    envs = run_cli("envs", "--json", env=env)
    assert envs.returncode == 0, envs.stderr
    rows = json.loads(envs.stdout)
    names = {r["name"] for r in rows}
    assert "cartpole" in names
    # nothing of the broken plugin survives, not even what it registered before failing
    assert all(r["plugin"] != "broken" for r in rows), rows
    assert "goodenv" not in names
    skipped = [line for line in envs.stderr.splitlines() if "broken" in line]
    assert len(skipped) == 1, envs.stderr
    assert "broken-plugin 0.1" in skipped[0] and reason in skipped[0]
    assert "Traceback" not in envs.stderr

    plugins = run_cli("plugins", "--json", env=env)
    assert plugins.returncode == 0, plugins.stderr
    by_name = {p["name"]: p for p in json.loads(plugins.stdout)}
    broken = by_name["broken"]
    assert broken["status"] == "failed"
    assert broken["distribution"].replace("_", "-") == "broken-plugin"
    assert broken["version"] == "0.1"
    assert reason in broken["error"] and "\n" not in broken["error"]
    assert broken["registered"] == []
    assert by_name["classic"]["status"] == "ok"
    assert "env:cartpole" in by_name["classic"]["registered"]

    text = run_cli("plugins", env=env)
    assert text.returncode == 0
    assert "broken  (broken-plugin 0.1)  failed" in text.stdout
    assert "reason: " in text.stdout and reason in text.stdout


def test_cartpole_still_trains_name_resolution_with_broken_plugin(run_cli, make_plugin):
    """A broken plugin doesn't stop name resolution for the others (cheap check: unknown env)."""
    env = make_plugin(BROKEN["import_error"][0])
    out = run_cli("train", "--env", "cartpol", env=env)
    assert out.returncode != 0
    assert "Did you mean: cartpole" in out.stderr


def test_strict_mode_raises(run_cli, make_plugin):
    env = make_plugin(BROKEN["import_error"][0])
    env["AGENTCTL_STRICT_PLUGINS"] = "1"
    out = run_cli("envs", env=env)
    assert out.returncode != 0
    assert "needs libfoo" in out.stderr
    assert "cartpole" not in out.stdout  # no half-loaded host answering as if all was well

    env = make_plugin(BROKEN["bad_kind"][0])
    env["AGENTCTL_STRICT_PLUGINS"] = "1"
    out = run_cli("plugins", env=env)
    assert out.returncode != 0 and "quantum" in out.stderr


def test_strict_mode_with_healthy_plugins_works(run_cli):
    out = run_cli("envs", env=clean_env(AGENTCTL_STRICT_PLUGINS="1"))
    assert out.returncode == 0 and "cartpole" in out.stdout


def test_load_plugins_empty_loads_none(run_cli, make_plugin):
    env = make_plugin(BROKEN["import_error"][0])
    env["AGENTCTL_LOAD_PLUGINS"] = ""
    out = run_cli("plugins", "--json", env=env)
    assert out.returncode == 0
    rows = json.loads(out.stdout)
    assert {r["name"] for r in rows} >= {"classic", "broken"}
    # every entry point is off; the host's own networks are not an entry point and stay on
    assert all(r["status"] == "disabled" for r in rows if r["name"] != "builtin"), rows
    assert [r["status"] for r in rows if r["name"] == "builtin"] == ["ok"]
    assert "libfoo" not in out.stderr  # the broken module was never imported
    envs = run_cli("envs", "--json", env=env)
    assert envs.returncode == 0 and json.loads(envs.stdout) == []


def test_load_plugins_selects(run_cli, make_plugin):
    env = make_plugin(BROKEN["import_error"][0])
    env["AGENTCTL_LOAD_PLUGINS"] = "classic"
    rows = {r["name"]: r for r in json.loads(run_cli("plugins", "--json", env=env).stdout)}
    assert rows["classic"]["status"] == "ok"
    assert rows["broken"]["status"] == "disabled" and rows["broken"]["error"] == ""


def test_disable_classic(run_cli):
    env = clean_env(AGENTCTL_DISABLE_PLUGINS="classic")
    out = run_cli("envs", "--json", env=env)
    assert out.returncode == 0
    assert "cartpole" not in {r["name"] for r in json.loads(out.stdout)}
    rows = {r["name"]: r for r in json.loads(run_cli("plugins", "--json", env=env).stdout)}
    assert rows["classic"]["status"] == "disabled"


def test_plugins_works_when_every_plugin_is_broken(run_cli, make_plugin):
    env = make_plugin(BROKEN["duplicate"][0])
    env["AGENTCTL_LOAD_PLUGINS"] = "broken"  # every other installed plugin is switched off
    out = run_cli("plugins", env=env)
    assert out.returncode == 0
    assert "failed" in out.stdout and "registered twice" in out.stdout
    envs = run_cli("envs", env=env)
    assert envs.returncode == 0 and "no environments registered" in envs.stdout


def test_third_party_plugin_env_listed_and_resolved(run_cli, make_plugin):
    env = make_plugin(
        """
        import agentctl
        AGENTCTL_API = 1

        @agentctl.hookimpl
        def register_envs(register):
            register("mygame", "mygame_pkg.env:make", kind="multi", description="A board game.")
        """,
        name="mygame", dist="agentctl-mygame", version="2.3.1", module="mygame_plugin",
    )
    rows = {r["name"]: r for r in json.loads(run_cli("envs", "--json", env=env).stdout)}
    assert rows["mygame"] == {"name": "mygame", "qualified_name": "mygame/mygame", "kind": "multi",
                              "plugin": "mygame", "description": "A board game."}
    plugins = {r["name"]: r for r in json.loads(run_cli("plugins", "--json", env=env).stdout)}
    assert plugins["mygame"]["version"] == "2.3.1" and plugins["mygame"]["status"] == "ok"
    assert plugins["mygame"]["registered"] == ["env:mygame"]


# -- in-process: PluginHost.add_module -----------------------------------------------------


def module(name: str, **attrs) -> types.ModuleType:
    mod = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(mod, key, value)
    return mod


def _env_registrar(*names, kind="single", **kwargs):
    def register_envs(register):
        for n in names:
            register(n, "somepkg.mod:make", kind=kind, **kwargs)

    return register_envs


def test_add_module_decorated_and_undecorated(host):
    decorated = agentctl.hookimpl(_env_registrar("alpha", description="decorated"))

    def register_policies(register):
        register("net", lambda obs_space, act_space: None, description="plain function")

    info_a = host.add_module(module("plug_a", register_envs=decorated), "a")
    info_b = host.add_module(module("plug_b", register_envs=_env_registrar("beta"),
                                    register_policies=register_policies), "b")
    assert info_a.status == "ok" and info_b.status == "ok", (info_a.error, info_b.error)
    assert info_a.registered == [("env", "a/alpha")]
    assert info_b.registered == [("env", "b/beta"), ("policy", "b/net")]
    assert host.registry.resolve("env", "alpha").description == "decorated"
    assert host.registry.resolve("env", "beta").plugin == "b"
    assert host.registry.resolve("policy", "net").qualified_name == "b/net"
    # each plugin's hook ran once: re-registering would have raised "registered twice"
    assert [s.qualified_name for s in host.registry.all("env")] == ["a/alpha", "b/beta"]


def test_future_api_version_refused(host):
    info = host.add_module(module("future", AGENTCTL_API=99, register_envs=_env_registrar("z")), "future")
    assert info.status == "failed"
    assert "hook API 99" in info.error and "upgrade agentctl" in info.error
    assert "provides 1" in info.error
    assert host.registry.all("env") == []
    ok = host.add_module(module("current", AGENTCTL_API=1, register_envs=_env_registrar("z")), "current")
    assert ok.status == "ok" and ok.api_version == 1


def test_partial_registration_undone_in_process(host):
    def register_envs(register):
        register("first", "x.y:z", kind="single")
        register("second", "x.y:z", kind="bogus")

    info = host.add_module(module("half", register_envs=register_envs), "half")
    assert info.status == "failed" and "bogus" in info.error
    assert info.registered == [] and host.registry.all("env") == []
    assert not host.pm.is_registered(host.pm.get_plugin("half") or object())
    # a later, healthy plugin with the same short name is unaffected
    host.add_module(module("ok", register_envs=_env_registrar("first")), "ok")
    assert host.registry.resolve("env", "first").plugin == "ok"


def test_misspelled_decorated_hook_in_process(host):
    @agentctl.hookimpl
    def regster_envs(register):
        pass

    info = host.add_module(module("typo", regster_envs=regster_envs), "typo")
    assert info.status == "failed" and "did you mean 'register_envs'" in info.error


def test_strict_in_process(monkeypatch):
    monkeypatch.setenv("AGENTCTL_STRICT_PLUGINS", "1")
    with pytest.raises(SpecError, match="registered twice"):
        PluginHost().add_module(module("dup", register_envs=_env_registrar("d", "d")), "dup")


@pytest.mark.parametrize("call, message", [
    (lambda r: r("bad/name", "a.b:c", kind="single"), "invalid name"),
    (lambda r: r("", "a.b:c", kind="single"), "invalid name"),
    (lambda r: r("ok", "a.b:c"), "kind must be one of"),
    (lambda r: r("ok", "a.b:c", kind="single", colour="red"), "unknown register() arguments ['colour']"),
    (lambda r: r("ok", 3, kind="single"), "entry point must be a callable"),
])
def test_malformed_env_specs(host, call, message):
    info = host.add_module(module("m", register_envs=lambda register: call(register)), "m")
    assert info.status == "failed" and message in info.error, info.error


def test_opponent_needs_env(host):
    info = host.add_module(module("o", register_opponents=lambda register: register("bot", "a.b:c")), "o")
    assert info.status == "failed" and "env='<env name>'" in info.error


def test_name_resolution(host):
    host.add_module(module("pa", register_envs=_env_registrar("x", "only_a")), "a")
    host.add_module(module("pb", register_envs=_env_registrar("x", "only_b")), "b")
    reg = host.registry
    assert reg.resolve("env", "only_a").qualified_name == "a/only_a"
    assert reg.resolve("env", "b/x").plugin == "b"
    assert reg.resolve("env", "a/x").plugin == "a"
    with pytest.raises(UserError) as amb:
        reg.resolve("env", "x")
    assert "ambiguous" in str(amb.value) and "a/x, b/x" in str(amb.value)
    with pytest.raises(UserError) as unknown:
        reg.resolve("env", "only_c")
    msg = str(unknown.value)
    assert "unknown env 'only_c'" in msg and "Did you mean:" in msg and "only_a" in msg
    with pytest.raises(UserError) as none:
        reg.resolve("env", "zzzzzzzz")
    assert "Did you mean" not in str(none.value) and "agentctl envs" in str(none.value)


def test_pattern_env(host):
    from agentctl.plugins import classic

    info = host.add_module(classic, "classic", distribution="agentctl", version="0.1.0")
    assert info.status == "ok", info.error
    reg = host.registry
    spec = reg.resolve("env", "gym:CartPole-v1")
    assert spec.env_kwargs["env_id"] == "CartPole-v1"
    assert spec.plugin == "classic" and spec.kind == "single"
    assert reg.resolve("env", "classic/gym:Acrobot-v1").env_kwargs["env_id"] == "Acrobot-v1"
    with pytest.raises(UserError):
        reg.resolve("env", "other/gym:CartPole-v1")
    with pytest.raises(UserError):
        reg.resolve("env", "gym:")  # no id
    # the pattern spec itself is untouched
    assert "env_id" not in reg.resolve("env", "classic/gym:*").env_kwargs
    envs = spec.make(num_envs=2, seed=0)
    try:
        assert envs.num_envs == 2 and envs.spec.id == "CartPole-v1"
    finally:
        envs.close()


# -- built-in networks, name clashes, sys.exit ----------------------------------------------


def test_go_alone_trains_with_the_builtin_resnet(run_cli):
    """The networks belong to the host: loading only the `go` plugin still finds `resnet`
    (about 15 s: one short Go run)."""
    env = clean_env(AGENTCTL_LOAD_PLUGINS="go")
    rows = {r["name"]: r for r in json.loads(run_cli("plugins", "--json", env=env).stdout)}
    assert rows["classic"]["status"] == "disabled" and rows["go"]["status"] == "ok"
    assert rows["builtin"]["status"] == "ok" and rows["builtin"]["distribution"] == "agentctl"
    assert rows["builtin"]["registered"] == ["policy:mlp", "policy:cnn", "policy:resnet", "policy:lm",
                                             "reward:sentiment", "reward:keyword", "reward:length",
                                             "reward:classifier"]
    out = run_cli("train", "--env", "go", "--steps", "2000", "--set", "num_envs=8", "--set", "num_steps=32",
                  "--set", "minibatch_size=128", "--set", "tensorboard=false", "--run-dir", "run", "--json",
                  env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.splitlines()[-1])
    assert summary["env"] == "go" and summary["steps"] >= 2000


def test_builtin_plugin_in_every_host(host):
    """A bare host already has the networks, from an ordinary hook module (no entry point);
    the classic plugin registers envs only, so `mlp` is not ambiguous."""
    from agentctl import builtin
    from agentctl.plugins import classic

    first = host.plugins[0]
    assert (first.name, first.distribution, first.module, first.status) == \
        ("builtin", "agentctl", "agentctl.builtin", "ok")
    assert first.registered == [("policy", "builtin/mlp"), ("policy", "builtin/cnn"), ("policy", "builtin/resnet"),
                                ("policy", "builtin/lm"), ("reward", "builtin/sentiment"), ("reward", "builtin/keyword"),
                                ("reward", "builtin/length"), ("reward", "builtin/classifier")]
    assert host.pm.get_plugin("builtin") is builtin and builtin.AGENTCTL_API == 1
    host.add_module(classic, "classic")
    assert {c for c, _ in host.plugins[1].registered} == {"env"}
    assert host.registry.resolve("policy", "mlp").qualified_name == "builtin/mlp"
    assert host.registry.resolve("policy", "resnet").load().__name__ == "build_resnet"


def test_taken_entry_point_names_fail_visibly(run_cli, make_plugin):
    """Entry points named like ours (`classic`, `builtin`) or like an earlier third-party one
    are listed as failed with the reason, never imported; the first owner keeps working."""
    never = """
        raise RuntimeError("a plugin whose name is taken must not be imported")
        """
    twin = """
        def register_envs(register):
            register("twinenv", "twin_pkg:make", kind="single")
        """
    env = make_plugin(never, name="classic", dist="evil-classic", module="evil_classic")
    env = make_plugin(never, name="builtin", dist="evil-builtin", module="evil_builtin", base=env)
    # two third-party `twin`s: the first on sys.path wins (make_plugin prepends its folder)
    env = make_plugin(never, name="twin", dist="twin-two", module="twin_two", base=env)
    env = make_plugin(twin, name="twin", dist="twin-one", module="twin_one", base=env)
    out = run_cli("plugins", "--json", env=env)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    by_dist = {r["distribution"].replace("_", "-"): r for r in rows}
    assert by_dist["agentctl"]["status"] == "ok"
    assert [r["status"] for r in rows if r["name"] == "classic"] == ["ok", "failed"]  # ours first
    assert "env:cartpole" in next(r for r in rows if r["name"] == "classic")["registered"]
    for dist, owner in [("evil-classic", "agentctl 0.1.0 (agentctl.plugins.classic)"),
                        ("evil-builtin", "agentctl 0.1.0 (agentctl.builtin)"),
                        ("twin-two", "twin-one 0.1 (twin_one)")]:
        row = by_dist[dist]
        assert row["status"] == "failed" and row["registered"] == []
        assert f"plugin name {row['name']!r} is already used by" in row["error"], row
        assert owner in row["error"] and "rename this plugin's entry point" in row["error"]
    assert by_dist["twin-one"]["status"] == "ok" and by_dist["twin-one"]["registered"] == ["env:twinenv"]
    assert "must not be imported" not in out.stdout + out.stderr
    skipped = [ln for ln in out.stderr.splitlines() if "already used by" in ln]
    assert len(skipped) == 3 and all(ln.startswith("agentctl: skipped plugin") for ln in skipped), out.stderr

    text = run_cli("plugins", env=env).stdout
    assert "classic  (evil-classic 0.1)  failed" in text
    assert "reason: SpecError: plugin name 'classic' is already used by agentctl" in text
    assert "policy:resnet" in text


def test_duplicate_name_in_process(host):
    ok = host.add_module(module("first", register_envs=_env_registrar("e1")), "same")
    dup = host.add_module(module("second", register_envs=_env_registrar("e2")), "same")
    assert ok.status == "ok" and dup.status == "failed"
    assert "plugin name 'same' is already used by same" in dup.error
    assert [s.name for s in host.registry.all("env")] == ["e1"]


def test_system_exit_is_guarded_in_process(host, capsys):
    def exits(register):
        register("gone", "x.y:z", kind="single")
        sys.exit(4)

    info = host.add_module(module("exiting", register_envs=exits), "exiting")
    assert info.status == "failed" and info.error == "SystemExit: the plugin called sys.exit(4)"
    assert host.registry.all("env") == [] and not host.pm.has_plugin("exiting")
    assert "skipped plugin 'exiting'" in capsys.readouterr().err

    import click

    def register_commands(cli):
        raise SystemExit(5)

    cmd = host.add_module(module("cmds", register_commands=register_commands), "cmds")
    assert cmd.status == "ok"
    host.add_commands(click.Group())
    assert cmd.status == "failed" and cmd.error == "register_commands: SystemExit: the plugin called sys.exit(5)"

    def interrupted(register):
        raise KeyboardInterrupt  # Ctrl-C while loading still stops the program

    with pytest.raises(KeyboardInterrupt):
        host.add_module(module("ctrl_c", register_envs=interrupted), "ctrl_c")


def test_system_exit_in_strict_mode_is_a_loud_error(monkeypatch):
    monkeypatch.setenv("AGENTCTL_STRICT_PLUGINS", "1")
    with pytest.raises(SpecError, match=r"plugin 'bye': SystemExit: the plugin called sys.exit\(2\)"):
        PluginHost().add_module(module("bye", register_envs=lambda register: sys.exit(2)), "bye")


def test_suggestions_name_each_item_once(host):
    def opponents(register):
        register("gnugo", "x.y:z", env="go")
        register("greedy", "x.y:z", env="go")

    host.add_module(module("pa", register_opponents=opponents), "a")
    host.add_module(module("pb", register_opponents=lambda register: register("bot", "x.y:z", env="*")), "b")
    host.add_module(module("pc", register_opponents=lambda register: register("bot", "x.y:z", env="*")), "c")
    reg = host.registry

    def hint(name: str) -> str:
        with pytest.raises(UserError) as err:
            reg.resolve("opponent", name)
        return str(err.value).partition("Did you mean: ")[2]

    assert hint("gnug") == "gnugo?"              # not "gnugo, a/gnugo"
    assert hint("a/gnug") == "a/gnugo?"          # a qualified query gets qualified names
    assert hint("bott") == "b/bot, c/bot?"       # an ambiguous short name: each owner, once

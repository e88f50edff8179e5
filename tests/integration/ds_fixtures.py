#!/usr/bin/env python3
"""ds_fixtures.py - the real DolphinScheduler 1.3 process JSON samples as a
1.3.9 database, and the check of what ferry made of them in 3.2.2.

  ds_fixtures.py sql --dialect postgresql|mysql FIXTURE_DIR
      SQL that fills a fresh 1.3.9 schema: tenants, users, projects, one
      t_ds_process_definition per full sample (pd_*.json, with its
      .locations/.connects sidecars), one per task-node sample (node_*.json,
      wrapped into a one-task workflow), a resource and a datasource the
      samples refer to, a schedule.  The workflow's name is the file name.

  ds_fixtures.py check FIXTURE_DIR TARGET_DUMP_DIR
      TARGET_DUMP_DIR holds tab-separated dumps (header line first) of the
      3.2 tables; asserts, per sample, field by field against the 1.3 JSON:
      task count, names, types, edges (roots from 0), locations, and the
      params ferry rewrites (SUB_PROCESS code, CONDITIONS codes, queue ->
      yarnQueue, resources -> resourceName, SQL groupId) or must keep
      (rawScript, sql, datasource ids, localParams).  Prints one line per
      sample; exits 1 on the first difference, with what and where.
"""
import glob
import json
import os
import sys

PROJECT_ID = 1


def q(v, dialect):
    if v is None:
        return "NULL"
    s = str(v).replace("'", "''")
    if dialect == "mysql":
        s = s.replace("\\", "\\\\")
    return "'" + s + "'"


def samples(fixdir):
    """(name, json text, locations, connects) of every sample."""
    out = []
    for f in sorted(glob.glob(os.path.join(fixdir, "pd_*.json"))):
        if f.endswith(".locations.json") or f.endswith(".connects.json"):
            continue
        base = f[:-5]
        side = {}
        for k in ("locations", "connects"):
            p = base + "." + k + ".json"
            side[k] = open(p).read() if os.path.exists(p) else None
        out.append((os.path.basename(base), open(f).read(),
                    side["locations"], side["connects"]))
    for f in sorted(glob.glob(os.path.join(fixdir, "node_*.json"))):
        node = json.loads(open(f).read())
        if "stringified" in f:
            # the instance (task_json) shape: nested values are JSON text
            for k in ("params", "dependence", "conditionResult", "timeout",
                      "preTasks"):
                if isinstance(node.get(k), str):
                    try:
                        node[k] = json.loads(node[k])
                    except ValueError:
                        pass
        node["preTasks"] = []
        wf = {"globalParams": [], "tasks": [node], "tenantId": -1,
              "timeout": 0}
        out.append((os.path.basename(f)[:-5], json.dumps(wf), None, None))
    return out


def cmd_sql(dialect, fixdir):
    now = "'2024-03-01 12:00:00'"
    print("INSERT INTO t_ds_tenant (id, tenant_code, tenant_name, description,"
          " queue_id, create_time, update_time) VALUES"
          " (1, 'etl', 'etl', '', 1, %s, %s), (2, 'default', 'default', '', 1,"
          " %s, %s), (4, 'ops', 'ops', '', 1, %s, %s), (6, 'dw', 'dw', '', 1,"
          " %s, %s);" % ((now,) * 8))
    print("INSERT INTO t_ds_user (id, user_name, user_password, user_type,"
          " email, phone, tenant_id, create_time, update_time) VALUES"
          " (2, 'alice', 'x', 1, 'a@x', '', 1, %s, %s),"
          " (3, 'bob', 'x', 1, 'b@x', '', 0, %s, %s);" % ((now,) * 4))
    print("INSERT INTO t_ds_project (id, name, description, user_id, flag,"
          " create_time, update_time) VALUES (1, 'fixtures', 'samples', 2, 1,"
          " %s, %s), (64, 'other', 'x', 2, 1, %s, %s);" % ((now,) * 4))
    print("INSERT INTO t_ds_resources (id, alias, file_name, description,"
          " user_id, type, size, create_time, update_time, pid, full_name,"
          " is_directory) VALUES (1, 'a.jar', 'a.jar', '', 2, 0, 10, %s, %s,"
          " -1, '/a.jar', %s);"
          % (now, now, "0"))
    print("INSERT INTO t_ds_datasource (id, name, note, type, user_id,"
          " connection_params, create_time, update_time) VALUES"
          " (1, 'ds1', '', 0, 2, %s, %s, %s);"
          % (q('{"address":"jdbc:mysql://db:3306","database":"d",'
               '"jdbcUrl":"jdbc:mysql://db:3306/d","user":"u","password":'
               '"p","other":"useSSL=false&a=b"}', dialect), now, now))
    for pid, (name, text, loc, con) in enumerate(samples(fixdir), start=1):
        print("INSERT INTO t_ds_process_definition (id, name, version,"
              " release_state, project_id, user_id, process_definition_json,"
              " description, global_params, flag, locations, connects,"
              " create_time, update_time, tenant_id, timeout) VALUES"
              " (%d, %s, 1, 1, %d, 2, %s, 'fixture', '[]', 1, %s, %s, %s, %s,"
              " -1, 0);" % (pid, q(name, dialect), PROJECT_ID,
                            q(text, dialect), q(loc, dialect),
                            q(con, dialect), now, now))
    print("INSERT INTO t_ds_schedules (id, process_definition_id, start_time,"
          " end_time, crontab, failure_strategy, user_id, release_state,"
          " warning_type, warning_group_id, process_instance_priority,"
          " worker_group, create_time, update_time) VALUES (1, 1, %s, %s,"
          " '0 0 * * * ? *', 1, 2, 1, 0, 1, 2, 'default', %s, %s);"
          % ((now,) * 4))


def load_tsv(path):
    rows = []
    with open(path) as f:
        lines = f.read().split("\n")
    head = lines[0].split("\t")
    for line in lines[1:]:
        if not line:
            continue
        vals = line.split("\t")
        rows.append({h: (None if v in ("\\N", "NULL") else v)
                     for h, v in zip(head, vals)})
    return rows


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


def check_sample(name, text, loc, dump):
    wf = json.loads(text)
    pd = [p for p in dump["pd"] if p["name"] == name]
    expect(len(pd) == 1, "workflow %s: %d rows in t_ds_process_definition"
           % (name, len(pd)))
    pd = pd[0]
    code = pd["code"]
    rels = [r for r in dump["rel"] if r["process_definition_code"] == code]
    codes = {r["post_task_code"] for r in rels}
    tds = {t["code"]: t for t in dump["td"] if t["code"] in codes}
    tasks = wf.get("tasks") or []
    expect(len(tds) == len(tasks), "%s: %d tasks in 1.3, %d in 3.2"
           % (name, len(tasks), len(tds)))
    by_name = {}
    for t in tds.values():
        by_name.setdefault(t["name"], []).append(t)
    dup = len(by_name) != len(tds)
    for node in tasks:
        got = by_name.get(node["name"])
        expect(got, "%s: task %r missing" % (name, node["name"]))
        expect(any(g["task_type"] == node.get("type", g["task_type"])
                   for g in got), "%s: task %r type %r, got %s" %
               (name, node["name"], node.get("type"),
                [g["task_type"] for g in got]))
        # every task is some relation's post task; a root exactly once
        # with pre 0
    for c in codes:
        pre = [r for r in rels if r["post_task_code"] == c]
        zero = [r for r in pre if r["pre_task_code"] == "0"]
        expect(not zero or len(pre) == 1,
               "%s: task %s is a root and has predecessors" % (name, c))
    # edges by name, where names are unique
    if not dup:
        code_of = {t["name"]: c for c, t in tds.items()}
        want = set()
        for node in tasks:
            pres = [p for p in (node.get("preTasks") or [])
                    if p in code_of and p != node["name"]]
            if not pres:
                want.add(("0", code_of[node["name"]]))
            for p in pres:
                want.add((code_of[p], code_of[node["name"]]))
        got = {(r["pre_task_code"], r["post_task_code"]) for r in rels}
        expect(want == got, "%s: edges differ: 1.3 %s, 3.2 %s" %
               (name, sorted(want), sorted(got)))
        for node in tasks:
            check_params(name, node, tds[code_of[node["name"]]], code_of,
                         dump)
    # the log tables hold the same version
    for c, t in tds.items():
        logs = [l for l in dump["tdlog"]
                if l["code"] == c and l["version"] == t["version"]]
        expect(len(logs) == 1, "%s: task %s has %d log rows of version %s"
               % (name, c, len(logs), t["version"]))
    rlogs = [r for r in dump["rellog"] if r["process_definition_code"] == code]
    expect(len(rlogs) == len(rels), "%s: %d relations, %d relation logs"
           % (name, len(rels), len(rlogs)))
    # locations: every entry names a task of this workflow
    if loc:
        ids = {n.get("id") for n in tasks}
        keys = [k for k in json.loads(loc) if k in ids]
        got = json.loads(pd["locations"]) if pd["locations"] else []
        expect(len(got) == len(keys), "%s: %d locations for %d tasks"
               % (name, len(got), len(keys)))
        for entry in got:
            expect(str(entry["taskCode"]) in tds,
                   "%s: location of unknown task %s" % (name, entry))
    return len(tds), len(rels)


def check_params(name, node, td, code_of, dump):
    p13 = node.get("params") or {}
    p32 = json.loads(td["task_params"] or "{}")
    where = "%s task %r" % (name, node["name"])
    for k in ("rawScript", "sql", "datasource", "udfs", "localParams",
              "httpParams", "url", "json", "mainClass", "mainArgs"):
        if k in p13:
            expect(p32.get(k) == p13[k], "%s: param %s changed: %r -> %r"
                   % (where, k, p13[k], p32.get(k)))
    t = node.get("type")
    if t == "SUB_PROCESS" and "processDefinitionId" in p13:
        ref = int(p13["processDefinitionId"])
        if ref in dump["ids"]:
            expect("processDefinitionCode" in p32 and
                   "processDefinitionId" not in p32,
                   "%s: SUB_PROCESS not rewritten: %s" % (where, p32))
        else:
            # a workflow that does not exist: left as it was, unresolved
            # (the workflow waits for it), never a code with no row
            expect("processDefinitionCode" not in p32 and
                   p32.get("processDefinitionId") == p13[
                       "processDefinitionId"],
                   "%s: SUB_PROCESS to missing workflow %d: %s"
                   % (where, ref, p32))
    if t != "SUB_PROCESS" and "processDefinitionId" in p13:
        expect(p32.get("processDefinitionId") == p13["processDefinitionId"],
               "%s: processDefinitionId of a %s task rewritten" % (where, t))
    if t in ("MR", "SPARK", "FLINK") and "queue" in p13:
        expect(p32.get("yarnQueue") == p13["queue"] and "queue" not in p32,
               "%s: queue not renamed yarnQueue: %s" % (where, p32))
    if t == "SQL":
        expect("groupId" in p32, "%s: SQL task without groupId" % where)
    for r in (p32.get("resourceList") or []) + (
            [p32["mainJar"]] if isinstance(p32.get("mainJar"), dict) else []):
        if r.get("id") == 1:
            expect(r.get("resourceName", "").endswith("/etl/resources/a.jar"),
                   "%s: resource path %r" % (where, r.get("resourceName")))
    if t == "CONDITIONS":
        res = p32.get("conditionResult") or {}
        for k in ("successNode", "failedNode"):
            for c in res.get(k) or []:
                expect(str(c) in code_of.values(),
                       "%s: %s code %s is not a task of the workflow"
                       % (where, k, c))


def cmd_check(fixdir, dumpdir):
    dump = {k: load_tsv(os.path.join(dumpdir, k + ".tsv"))
            for k in ("pd", "td", "tdlog", "rel", "rellog")}
    dump["ids"] = {int(p["id"]) for p in dump["pd"]}
    n = 0
    for name, text, loc, _ in samples(fixdir):
        try:
            ntasks, nrels = check_sample(name, text, loc, dump)
        except Fail as f:
            print("FAIL: %s" % f)
            return 1
        print("ok   %s: %d tasks, %d relations" % (name, ntasks, nrels))
        n += 1
    print("%d samples checked" % n)
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "sql" and argv[2] == "--dialect":
        cmd_sql(argv[3], argv[4])
        return 0
    if len(argv) == 4 and argv[1] == "check":
        return cmd_check(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

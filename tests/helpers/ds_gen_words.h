/*
 * ds_gen_words.h - word lists for tests/helpers/ds_gen.c, the
 * DolphinScheduler 1.3.9 dataset generator: names of things a data team
 * would create (projects, workflows, tasks, tables, users), shell and SQL
 * fragments, cron expressions.  Only ds_gen.c includes it.
 *
 * Every entry must fit the narrowest column it lands in (see ds_gen.c),
 * must be valid UTF-8 and must not contain a NUL; the generator quotes
 * everything itself.
 */
#ifndef DS_GEN_WORDS_H
#define DS_GEN_WORDS_H

/* project names (t_ds_project.name, varchar(100)) */
static const char *const dsw_projects[] = {
	"data_warehouse", "risk_control", "marketing_analytics",
	"finance_report", "user_growth", "ads_platform", "search_ranking",
	"realtime_metrics", "ml_features", "data_quality", "crm_sync",
	"logistics", "payment_gateway", "recommendation", "bi_dashboard",
	"supply_chain", "customer_service", "audit_log",
};

/* business domains, for workflow and task names */
static const char *const dsw_domains[] = {
	"trade", "order", "user", "payment", "refund", "coupon", "inventory",
	"shop", "item", "log", "click", "session", "ads", "risk", "credit",
	"loan", "repay", "member", "traffic", "search", "push", "sms",
	"settle", "finance", "okcard", "wallet", "merchant", "delivery",
};

/* entities, for workflow and task names */
static const char *const dsw_entities[] = {
	"detail", "summary", "snapshot", "profile", "events", "stats",
	"funnel", "retention", "kpi", "dim", "fact", "agg", "daily_new",
	"active", "gmv", "conversion", "overdue_dpd", "bill", "vintage",
	"quota", "transaction", "balance", "channel", "region", "cohort",
};

/* warehouse layers */
static const char *const dsw_layers[] = {
	"ods", "dwd", "dws", "dwb", "ads", "dim", "tmp", "rpt",
};

static const char *const dsw_freqs[] = {
	"daily", "hourly", "weekly", "monthly", "realtime", "backfill", "sync",
};

/* verbs for task names */
static const char *const dsw_verbs[] = {
	"load", "check", "sync", "export", "import", "clean", "merge",
	"build", "compute", "notify", "archive", "validate", "dedup",
	"refresh", "publish", "extract", "prepare", "split", "score",
};

/* a few non-ASCII task and workflow names, as found in real 1.3 data */
static const char *const dsw_cjk[] = {
	"测试任务", "数据清洗", "订单日报", "用户画像", "风险评分",
	"经营分析", "数据同步", "指标计算", "库存盘点", "财务对账",
};

/* user names (t_ds_user.user_name, varchar(64)) */
static const char *const dsw_people[] = {
	"zhangwei", "liuyang", "wangfang", "chenjie", "lina", "zhaolei",
	"sunhao", "zhoumin", "wuqiang", "xuting", "alice", "bob", "carol",
	"dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
	"oscar", "peggy", "trent", "victor", "walter", "yuki", "sam_liux",
	"etl_bot", "bi_service",
};

/* tenant codes (OS users).  Index 1 must stay "default" (spec §3.21). */
static const char *const dsw_tenants[] = {
	"etl", "default", "hadoop", "analytics", "risk", "bi", "ml_platform",
	"growth", "search", "ads", "infra", "finance", "ops", "dw",
};

static const char *const dsw_tenant_names[] = {
	"ETL team", "默认租户", "Hadoop users", "Analytics", "风控", "BI",
	"ML platform", "Growth", "Search", "Ads", "Infra", "Finance",
	"Operations", "数据仓库",
};

/* source / target table names for SQL, DATAX and SQOOP */
static const char *const dsw_tables[] = {
	"orders", "order_items", "users", "user_profile", "payments",
	"refunds", "coupons", "inventory", "shops", "items", "click_log",
	"sessions", "ad_impressions", "risk_events", "credit_apply",
	"loan_bill", "repay_plan", "members", "traffic_source", "settlement",
};

/* Quartz cron expressions, as the 1.3 UI writes them */
static const char *const dsw_crons[] = {
	"0 0 2 * * ? *", "0 30 1 * * ? *", "0 0 * * * ? *",
	"0 15 */2 * * ? *", "0 0 6 ? * MON-FRI *", "0 0 3 1 * ? *",
	"0 10 0 * * ? *", "0 0/30 * * * ? *", "0 0 23 ? * SUN *",
	"0 45 4 * * ? *",
};

/* DEPENDENT items: cycle and the dateValue values that go with it */
static const char *const dsw_dep_day[] = {
	"today", "last1Days", "last2Days", "last3Days", "last7Days",
};
static const char *const dsw_dep_hour[] = {
	"currentHour", "last1Hour", "last2Hours", "last3Hours",
};
static const char *const dsw_dep_week[] = {
	"thisWeek", "lastWeek", "lastMonday", "lastFriday", "lastSunday",
};
static const char *const dsw_dep_month[] = {
	"thisMonth", "lastMonth", "lastMonthBegin", "lastMonthEnd",
};

/* lines of shell scripts */
static const char *const dsw_shell_lines[] = {
	"set -euo pipefail",
	"echo \"start ${dt}\"",
	"hdfs dfs -test -e /warehouse/${layer}/${table}/dt=${dt}/_SUCCESS",
	"hive -e \"msck repair table ${db}.${table}\"",
	"python3 /opt/jobs/notify.py --date ${dt} --channel ops",
	"curl -fsS -X POST http://metrics.internal:9091/ping/${job}",
	"spark-submit --master yarn --queue ${queue} /opt/jobs/etl.py ${dt}",
	"find /data/tmp -mtime +7 -name '*.csv' -delete",
	"rsync -a /data/export/ backup01:/backup/export/",
	"mysql -h db01 -e \"call refresh_summary('${dt}')\"",
	"if [ $(date +%u) -eq 1 ]; then echo weekly; fi",
	"sleep 5",
	"ls -l /data/landing/${dt} | wc -l",
	"echo \"数据处理完成 ${dt}\"",
	"for f in /data/in/*.gz; do gunzip -t \"$f\"; done",
	"aws s3 cp s3://lake/raw/${dt}/ /data/raw/${dt}/ --recursive",
	"kinit -kt /etc/security/etl.keytab etl@EXAMPLE.COM",
	"exit 0",
};

static const char *const dsw_python_lines[] = {
	"import sys",
	"import json",
	"from datetime import datetime, timedelta",
	"print(\"HELLO:\" + sys.argv[0])",
	"dt = datetime.strptime('${dt}', '%Y-%m-%d')",
	"rows = [r for r in range(100) if r % 7 == 0]",
	"print(json.dumps({'rows': len(rows), 'dt': str(dt)}))",
	"print(\"this is python task \", ${p0})",
	"assert len(rows) > 0, 'no rows'",
};

static const char *const dsw_sql_select[] = {
	"select id, name, age from %s where dt = '${dt}'",
	"select count(*) as cnt from %s where dt = '${dt}'",
	"select dt, count(1) from %s group by dt",
	"show tables",
	"select * from %s limit 100",
	"select user_id, sum(amount) from %s where dt >= '${dt}' "
	"group by user_id",
};

static const char *const dsw_sql_update[] = {
	"insert overwrite table %s partition (dt='${dt}') select * from tmp_%s",
	"delete from %s where dt < date_sub('${dt}', 90)",
	"update %s set status = 1 where dt = '${dt}'",
	"truncate table tmp_%s",
	"insert into %s select * from staging_%s",
};

static const char *const dsw_main_classes[] = {
	"org.apache.spark.examples.SparkPi", "com.example.etl.DailyJob",
	"com.example.stream.ClickStream", "wordcount",
	"com.example.ml.FeatureBuilder", "com.flink.demo",
};

static const char *const dsw_hosts[] = {
	"10.0.1.21", "10.0.1.22", "10.0.1.23", "10.0.1.24", "10.0.2.5",
	"10.0.3.7",
};

static const char *const dsw_master_hosts[] = {
	"10.0.1.11", "10.0.1.12",
};

#endif

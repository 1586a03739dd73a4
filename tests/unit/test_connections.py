"""Reaching external clusters: settings for TLS, SASL/SCRAM, API keys and CA files, turned into the options
of every client; and the report of topics that differ from the settings."""

import ssl

import faust
import pytest
from elasticsearch.serializer import OrjsonSerializer
from kafka.admin import NewTopic
from pydantic import ValidationError

from aduan.bootstrap import topic_mismatches, topic_specs
from config.connections import es_options, faust_credentials, kafka_options
from config.settings import Settings

pytestmark = pytest.mark.unit


def test_the_local_stack_needs_nothing_but_addresses():
    settings = Settings(kafka_bootstrap="127.0.0.1:9092, 127.0.0.1:9094", es_url="http://127.0.0.1:9200")
    assert kafka_options(settings) == {"bootstrap_servers": ["127.0.0.1:9092", "127.0.0.1:9094"],
                                       "security_protocol": "PLAINTEXT"}
    options = es_options(settings)
    assert isinstance(options.pop("serializer"), OrjsonSerializer)
    assert options == {"hosts": ["http://127.0.0.1:9200"]}
    assert faust_credentials(settings) is None


def test_a_cluster_with_scram_tls_and_a_ca(tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text("not read by these tests")
    settings = Settings(kafka_bootstrap="kafka-bootstrap:9093", kafka_security_protocol="SASL_SSL",
                        kafka_sasl_username="aduan", kafka_sasl_password="rahasia", kafka_ca_file=ca,
                        es_url="https://es-http:9200", es_username="elastic", es_password="sandi", es_ca_file=ca)
    assert kafka_options(settings) == {
        "bootstrap_servers": ["kafka-bootstrap:9093"], "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "aduan", "sasl_plain_password": "rahasia",
        "ssl_cafile": str(ca)}
    options = es_options(settings)
    assert isinstance(options.pop("serializer"), OrjsonSerializer)
    assert options == {"hosts": ["https://es-http:9200"], "basic_auth": ("elastic", "sandi"), "ca_certs": str(ca)}
    with pytest.raises(ssl.SSLError):  # a placeholder CA is not a certificate
        faust_credentials(settings)
    keyed = Settings(es_api_key="aWQ6a2V5", es_username="elastic", es_password="x")
    assert es_options(keyed)["api_key"] == "aWQ6a2V5" and "basic_auth" not in es_options(keyed)
    sasl_plaintext = Settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="u",
                              kafka_sasl_password="p")
    assert isinstance(faust_credentials(sasl_plaintext), faust.SASLCredentials)


@pytest.mark.parametrize("changes, words", [
    ({"kafka_security_protocol": "SASL_SSL"}, "ADUAN_KAFKA_SASL_USERNAME"),
    ({"kafka_ca_file": "/nowhere/ca.crt"}, "ADUAN_KAFKA_CA_FILE"),
    ({"es_ca_file": "/nowhere/ca.crt"}, "ADUAN_ES_CA_FILE"),
    ({"es_password": "x"}, "ADUAN_ES_USERNAME"),
    ({"kafka_security_protocol": "TLS"}, "kafka_security_protocol"),
])
def test_incomplete_connection_settings_are_refused_naming_the_setting(changes, words):
    with pytest.raises(ValidationError, match=words):
        Settings(**changes)


def test_production_replication_and_a_report_of_what_differs():
    settings = Settings(replication_factor=3, min_insync_replicas=2, partitions=12)
    specs = topic_specs(settings)
    assert {s.replication_factor for s in specs} == {3}
    assert {s.topic_configs["min.insync.replicas"] for s in specs} == {"2"}
    assert Settings(replication_factor=3).min_insync_replicas is None
    assert {s.topic_configs["min.insync.replicas"] for s in topic_specs(Settings(replication_factor=3))} == {"2"}
    events = next(s for s in specs if s.name.endswith("cases.events"))
    described = [{"name": events.name, "error_code": 0,
                  "partitions": [{"replica_nodes": [1]} for _ in range(6)]}]
    assert topic_mismatches(described, [events]) == [
        f"topic {events.name} has 6 partitions, settings ask for 12",
        f"topic {events.name} has replication factor [1], settings ask for 3"]
    dead_letters = next(s for s in specs if s.name.endswith("aduan.deadletter"))
    assert dead_letters.topic_configs["retention.ms"] == str(30 * 24 * 3600 * 1000)  # a bounded time
    assert next(s for s in topic_specs(Settings(dead_letter_retention_days=7)) if s.name == dead_letters.name
                ).topic_configs["retention.ms"] == str(7 * 24 * 3600 * 1000)
    same = [{"name": "t", "error_code": 0, "partitions": [{"replica_nodes": [1, 2, 3]}] * 12}]
    assert topic_mismatches(same, [NewTopic("t", 12, 3)]) == []


@pytest.mark.parametrize("value, ok", [("", True), ("127.0.0.1", True), ("10.213.0.10, 10.244.0.0/16", True),
                                       ("::1", True), ("10.0.0.0/33", False), ("ingress", False),
                                       ("0.0.0.0/0", False), ("::/0", False)])
def test_trusted_proxies_are_addresses_or_cidrs_and_never_everyone(value, ok):
    if ok:
        assert Settings(trusted_proxies=value).trusted_proxies == value
    else:
        with pytest.raises(ValidationError, match="ADUAN_TRUSTED_PROXIES"):
            Settings(trusted_proxies=value)

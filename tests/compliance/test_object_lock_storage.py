"""The archive on S3 with Object Lock, against moto's S3."""

import datetime as dt

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from compliance.services import archive_record_create, archive_seal, artifact_read
from compliance.verification import archive_verify
from tests.factories.templates_store import CommunicationFactory, published_version

pytestmark = pytest.mark.django_db
BUCKET = "ccm-archive-test"


@pytest.fixture
def locked_bucket(settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(
            Bucket=BUCKET,
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
            ObjectLockEnabledForBucket=True,
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "archive": {
                "BACKEND": "compliance.storage.ObjectLockS3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": "eu-west-1",
                    "file_overwrite": False,
                },
            },
        }
        yield s3


def _entry(category="regulatory", content=b"Dear customer, ..."):
    version = published_version(communication=CommunicationFactory(category=category))
    return archive_record_create(
        content=content,
        content_type="text/plain",
        message=None,
        version=version,
        channel="sms",
        locale="en",
        recipient="+447911123456",
        data={},
        is_test=False,
    )


class ObjectLockStorageTests:
    def test_each_artifact_is_locked_until_its_retention_date(self, locked_bucket, settings):
        settings.CCM_RETENTION_YEARS = {"regulatory": 7, "transactional": 6, "marketing": 2}
        entry = _entry("regulatory")
        head = locked_bucket.head_object(Bucket=BUCKET, Key=entry.artifact_name)
        assert head["ObjectLockMode"] == "COMPLIANCE"
        until = head["ObjectLockRetainUntilDate"]
        assert dt.timedelta(days=7 * 365) <= until - entry.created_at <= dt.timedelta(days=7 * 366)
        assert artifact_read(entry=entry) == b"Dear customer, ..."

    def test_s3_refuses_to_delete_a_locked_version(self, locked_bucket):
        entry = _entry()
        version_id = locked_bucket.head_object(Bucket=BUCKET, Key=entry.artifact_name)["VersionId"]
        with pytest.raises(ClientError, match="AccessDenied"):
            locked_bucket.delete_object(
                Bucket=BUCKET, Key=entry.artifact_name, VersionId=version_id
            )

    def test_seals_verify_against_the_bucket(self, locked_bucket):
        _entry(content=b"one")
        _entry(content=b"two")
        archive_seal(settle_seconds=0)
        report = archive_verify()
        assert report.ok, report.problems
        assert report.entries == 2

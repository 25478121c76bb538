"""Static files and the named storages: the archive and the print files."""

from pathlib import Path

from ccm.env import env_int, env_str

from .paths import BASE_DIR, VAR_DIR

# STATIC AND STORAGE -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
ARCHIVE_ROOT = Path(env_str("CCM_ARCHIVE_ROOT", str(VAR_DIR / "archive")))
PRINT_ROOT = Path(env_str("CCM_PRINT_ROOT", str(VAR_DIR / "print")))
# https://docs.djangoproject.com/en/5.2/ref/settings/#storages
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # Write-once archive of every artifact sent (content-addressed names).
    "archive": {
        "BACKEND": "compliance.storage.WriteOnceFileSystemStorage",
        "OPTIONS": {"location": str(ARCHIVE_ROOT), "base_url": None},
    },
    # Print files handed to the print vendor.
    "print": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRINT_ROOT), "base_url": None},
    },
}

if env_str("CCM_ARCHIVE_S3_BUCKET", ""):
    # Production: S3 (or a compatible store) with Object Lock enabled on the bucket.
    # https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
    STORAGES["archive"] = {
        "BACKEND": "compliance.storage.ObjectLockS3Storage",
        "OPTIONS": {
            "bucket_name": env_str("CCM_ARCHIVE_S3_BUCKET"),
            "region_name": env_str("CCM_ARCHIVE_S3_REGION", "") or None,
            "endpoint_url": env_str("CCM_ARCHIVE_S3_ENDPOINT_URL", "") or None,
            "object_lock_mode": env_str("CCM_ARCHIVE_OBJECT_LOCK_MODE", "COMPLIANCE"),
            "file_overwrite": False,
        },
    }

if env_str("CCM_PRINT_S3_BUCKET", ""):
    # Print files to an S3 bucket the print vendor reads.
    # https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
    STORAGES["print"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("CCM_PRINT_S3_BUCKET"),
            "location": env_str("CCM_PRINT_S3_PREFIX", ""),
            "region_name": env_str("CCM_PRINT_S3_REGION", "") or None,
            "endpoint_url": env_str("CCM_PRINT_S3_ENDPOINT_URL", "") or None,
            "file_overwrite": False,
        },
    }
elif env_str("CCM_PRINT_SFTP_HOST", ""):
    # Print files to the print vendor's SFTP server (key authentication; the host key
    # must be in CCM_PRINT_SFTP_KNOWN_HOSTS).
    # https://django-storages.readthedocs.io/en/latest/backends/sftp.html
    STORAGES["print"] = {
        "BACKEND": "storages.backends.sftpstorage.SFTPStorage",
        "OPTIONS": {
            "host": env_str("CCM_PRINT_SFTP_HOST"),
            "root_path": env_str("CCM_PRINT_SFTP_ROOT", ""),
            "params": {
                "port": env_int("CCM_PRINT_SFTP_PORT", 22),
                "username": env_str("CCM_PRINT_SFTP_USER"),
                "key_filename": env_str("CCM_PRINT_SFTP_KEY_FILE"),
                "timeout": 30,
            },
            "known_host_file": env_str("CCM_PRINT_SFTP_KNOWN_HOSTS", "") or None,
            "interactive": False,
        },
    }

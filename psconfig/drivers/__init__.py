"""Drivers: how psconfig reads and changes a PowerSchool. See ``base.Driver``."""

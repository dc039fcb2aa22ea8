"""psconfig: PowerSchool integration security setup as code.

A district keeps the desired state of its Clever "Read-Only Export" setup (security
group, page-permission toggle, DDE page permissions, sync staff account) in a YAML
spec; ``psconfig plan`` diffs it against the live PowerSchool, ``psconfig apply``
makes only the needed changes and ``psconfig drift`` reports out-of-band edits.
"""

__version__ = "0.1.0"

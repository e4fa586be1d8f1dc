"""Files generated from the operation declarations by ``python -m ktensor._codegen``; do not edit."""

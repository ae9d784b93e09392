# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of vbuddy's documentation: make docs (scripts/check.sh
# docs) runs sphinx-build -W on this directory. The kernel-doc directive is
# the kernel's own, from the 6.12 tree that scripts/ksrc.sh unpacks; the
# stage passes its path in VBUDDY_KSRC.

import os
import sys

import sphinx

ksrc = os.environ.get('VBUDDY_KSRC')
if not ksrc:
    sys.exit('conf.py: set VBUDDY_KSRC to the kernel source tree (make docs does)')
sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

project = 'vbuddy'
copyright = 'The vbuddy authors'
author = 'The vbuddy authors'

extensions = ['kerneldoc', 'kernel_include']

# The kernel's scripts/kernel-doc, with warnings as errors (KDOC_WERROR): a
# failing kernel-doc run is a Sphinx warning, which -W turns into an error.
os.environ.setdefault('KDOC_WERROR', '1')
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
kerneldoc_verbosity = 1

# As in the kernel's Documentation/conf.py: attributes the C domain must skip.
c_id_attributes = [
    '__force', '__iomem', '__user', '__rcu', '__percpu', '__printf',
    '__always_inline', '__maybe_unused', '__must_check', '__init', '__exit',
]

primary_domain = 'c'
highlight_language = 'none'

master_doc = 'index'
source_suffix = '.rst'
exclude_patterns = ['output']
pygments_style = 'sphinx'

html_theme = 'alabaster'
html_title = 'vbuddy'
html_show_sourcelink = False
html_static_path = []

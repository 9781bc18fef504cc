from . import models
from . import utils
from . import controllers
from . import bus
